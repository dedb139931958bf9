// The work queue's countdowns: every 30 s, each <time data-countdown datetime="..."> says again how
// long is left ("due in 3 h 20 min") or how late it is ("overdue by 2 d 4 h"), with the same words
// as the server (leads/templatetags/work_queue.py), and its row turns red once overdue.
(function () {
  function span(seconds) {
    var minutes = Math.max(Math.floor(seconds / 60), 1);
    var days = Math.floor(minutes / 1440);
    minutes -= days * 1440;
    var hours = Math.floor(minutes / 60);
    minutes -= hours * 60;
    if (days) return hours ? days + " d " + hours + " h" : days + " d";
    if (hours) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    return minutes + " min";
  }

  // Seconds left (negative once past) in words; tests/queue/test_countdown_words.py holds it to the server's.
  function words(seconds) {
    return seconds <= 0 ? "overdue by " + span(-seconds) : "due in " + span(seconds);
  }
  window.accordDueWords = words;

  function refresh() {
    var now = Date.now();
    document.querySelectorAll("time[data-countdown]").forEach(function (element) {
      var due = Date.parse(element.getAttribute("datetime"));
      if (isNaN(due)) return;
      var seconds = Math.trunc((due - now) / 1000);
      var overdue = seconds <= 0;
      element.textContent = words(seconds);
      element.classList.toggle("text-danger", overdue);
      var row = element.closest(".queue-item");
      if (row) row.classList.toggle("overdue", overdue);
    });
  }

  setInterval(refresh, 30000);
  // Rows swapped in by an inline action carry the server's words already; keep them ticking.
  document.addEventListener("htmx:afterSettle", refresh);
})();

// "Cancel" on a row's inline form (loaded by "Reject…" or "Log touch") closes it.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-queue-close]");
  if (!button) return;
  var form = button.closest("tr.queue-form");
  if (form) form.remove();
});
