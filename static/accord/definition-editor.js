// The definition editor: each rule row shows only the inputs its test uses. Without this
// script every input shows, and the server ignores the ones the test does not read.
(function () {
  function fit(row) {
    var select = row.querySelector("[data-rule-test] select");
    if (!select) return;
    row.querySelectorAll("[data-for-tests]").forEach(function (box) {
      var tests = box.getAttribute("data-for-tests").split(" ");
      box.hidden = tests.indexOf(select.value) === -1;
    });
  }
  // A field with known values (a coded field's labels, a choice property's values) offers them
  // as buttons that add the value as a line of the box, once.
  function knownValues() {
    var data = document.getElementById("rule-known-values");
    return data ? JSON.parse(data.textContent) : {};
  }
  function offer(row) {
    var box = row.querySelector("[data-known-values]");
    var field = row.querySelector("select[name$='-field']");
    if (!box || !field) return;
    var values = knownValues()[field.value] || [];
    var buttons = box.querySelector("[data-known-buttons]");
    buttons.textContent = "";
    values.forEach(function (value) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-outline-secondary btn-sm me-1 mb-1";
      button.textContent = value;
      button.setAttribute("data-known-value", value);
      buttons.appendChild(button);
    });
    box.hidden = values.length === 0;
  }
  function add(row, value) {
    var area = row.querySelector("textarea[name$='-values']");
    if (!area) return;
    var lines = area.value.split("\n").map(function (line) { return line.trim(); }).filter(Boolean);
    var folded = lines.map(function (line) { return line.toLowerCase(); });
    if (folded.indexOf(value.toLowerCase()) === -1) lines.push(value);
    area.value = lines.join("\n");
  }
  function fitAll(root) {
    root.querySelectorAll("[data-rule-row]").forEach(function (row) { fit(row); offer(row); });
  }
  document.addEventListener("change", function (event) {
    var row = event.target.closest && event.target.closest("[data-rule-row]");
    if (row && event.target.closest("[data-rule-test]")) fit(row);
    if (row && event.target.matches("select[name$='-field']")) offer(row);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-known-value]");
    var row = button && button.closest("[data-rule-row]");
    if (row) add(row, button.getAttribute("data-known-value"));
  });
  document.addEventListener("DOMContentLoaded", function () { fitAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { fitAll(event.target); });
})();
