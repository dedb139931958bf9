// Workspace behaviour, as a file: the Content-Security-Policy allows no inline script or handler.
// A form with data-confirm="Question?" asks before it is sent.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
