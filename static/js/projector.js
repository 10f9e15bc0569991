// Polls the server for a fresh signed QR, the live count and the latest names.
(function () {
  var root = document.querySelector(".projector");
  if (!root) return;
  var url = root.getAttribute("data-live-url");
  var every = Math.max(2, Math.min(5, parseInt(root.getAttribute("data-rotation"), 10) / 3)) * 1000;
  var qr = document.getElementById("qr");
  function refresh() {
    fetch(url, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        if (qr.getAttribute("data-checkin-url") !== data.url || !qr.firstChild) {
          qr.innerHTML = data.qr_svg;
          qr.setAttribute("data-checkin-url", data.url);
        }
        document.getElementById("checked-in").textContent = data.checked_in;
        document.getElementById("enrolled").textContent = data.enrolled;
        var list = document.getElementById("latest");
        list.innerHTML = "";
        data.latest.forEach(function (name) { var li = document.createElement("li"); li.textContent = name; list.appendChild(li); });
        document.getElementById("offline").hidden = true;
      })
      .catch(function () { document.getElementById("offline").hidden = false; });
  }
  refresh();
  setInterval(refresh, every);
})();
