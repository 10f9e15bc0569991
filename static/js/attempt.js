// Saves each answer as it changes, retries when the network drops, and counts down from the server's deadline.
(function () {
  var root = document.getElementById("attempt");
  if (!root) return;
  var url = root.getAttribute("data-answer-url");
  var csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value;
  var state = document.getElementById("save-state");
  var pending = {};
  var deadline = Date.now() + parseInt(root.getAttribute("data-seconds-left"), 10) * 1000;

  function answeredCount() {
    var n = 0;
    root.querySelectorAll("fieldset.question").forEach(function (fs) { if (fs.querySelector("input:checked")) n++; });
    document.getElementById("answered").textContent = n;
  }
  function send(questionId) {
    var fs = root.querySelector('fieldset[data-question="' + questionId + '"]');
    var options = Array.prototype.map.call(fs.querySelectorAll("input:checked"), function (i) { return parseInt(i.value, 10); });
    pending[questionId] = true;
    state.textContent = "保存中…";
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
                 body: JSON.stringify({ question: questionId, options: options }) })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (res.ok) {
          delete pending[questionId];
          if (typeof res.data.seconds_left === "number") deadline = Date.now() + res.data.seconds_left * 1000;
          state.textContent = Object.keys(pending).length ? "保存中…" : "已保存";
        } else {
          state.textContent = res.data.error || "保存失败";
          if (res.status === 409 || /交卷/.test(res.data.error || "")) window.location.reload();
        }
      })
      .catch(function () { state.textContent = "网络中断，恢复后自动重试"; setTimeout(function () { if (pending[questionId]) send(questionId); }, 3000); });
  }
  root.addEventListener("change", function (e) {
    var fs = e.target.closest("fieldset.question");
    if (!fs) return;
    answeredCount();
    send(fs.getAttribute("data-question"));
  });
  window.addEventListener("online", function () { Object.keys(pending).forEach(send); });
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    document.getElementById("timer").textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0) { document.getElementById("submit-form").submit(); return; }
    setTimeout(tick, 1000);
  }
  tick();
})();
