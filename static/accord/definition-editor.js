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
  function fitAll(root) {
    root.querySelectorAll("[data-rule-row]").forEach(fit);
  }
  document.addEventListener("change", function (event) {
    var row = event.target.closest && event.target.closest("[data-rule-row]");
    if (row && event.target.closest("[data-rule-test]")) fit(row);
  });
  document.addEventListener("DOMContentLoaded", function () { fitAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { fitAll(event.target); });
})();
