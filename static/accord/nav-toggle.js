// The admin header's menu button on a narrow screen (a file: the CSP allows no inline script).
// Without JavaScript the menu simply stays open; with it, the page marks itself and the button
// shows and hides the navigation.
document.documentElement.classList.add("accord-js");
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-nav-toggle]");
  if (!button) {
    return;
  }
  var menu = document.getElementById(button.getAttribute("data-nav-toggle"));
  var open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", open ? "true" : "false");
  menu.classList.toggle("is-open", open);
});
