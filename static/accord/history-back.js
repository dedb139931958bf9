// The standalone error pages' "Back to the previous page" (a file: the CSP allows no inline
// script). It shows only when there is a page to go back to and JavaScript can take you there.
document.querySelectorAll("[data-history-back]").forEach(function (link) {
  if (window.history.length < 2) {
    return;
  }
  link.hidden = false;
  link.addEventListener("click", function (event) {
    event.preventDefault();
    window.history.back();
  });
});
