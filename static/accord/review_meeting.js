// The meeting page: a browser skips autofocus when the address names an item (#item-12), as a
// refused close's does, so once the page has loaded (and scrolled to it) move the focus to the
// refusal beside that item. Inline saves swapped in by htmx are focused by htmx itself.
window.addEventListener("load", function () {
  var refusal = document.querySelector(".item-error[autofocus]");
  if (refusal && document.activeElement !== refusal) {
    refusal.focus();
  }
});
