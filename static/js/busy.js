// Forms marked data-busy show a working indicator and cannot be sent twice.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (event.defaultPrevented || !form.hasAttribute("data-busy")) return;
  if (form.dataset.sent) { event.preventDefault(); return; }
  form.dataset.sent = "1";
  var button = form.querySelector("button[type=submit]");
  if (button) { button.disabled = true; button.textContent = form.getAttribute("data-busy"); }
  var bar = form.querySelector(".busy");
  if (bar) bar.hidden = false;
});
