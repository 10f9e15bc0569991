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

// Buttons and links marked data-confirm ask before they act (closing a programme, revoking a certificate).
// A confirmed button says so to the server (confirmed=1), which otherwise shows its own confirmation page.
document.addEventListener("click", function (event) {
  var target = event.target.closest ? event.target.closest("[data-confirm]") : null;
  if (!target) return;
  if (!window.confirm(target.getAttribute("data-confirm"))) { event.preventDefault(); return; }
  var form = target.form;
  if (!form) return;
  var flag = form.querySelector("input[name=confirmed]");
  if (!flag) {
    flag = document.createElement("input");
    flag.type = "hidden";
    flag.name = "confirmed";
    form.appendChild(flag);
  }
  flag.value = "1";
});
