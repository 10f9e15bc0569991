// Saves each answer as it changes, one request at a time per question so the server keeps the latest choice;
// retries when the network drops; waits for pending saves before handing in; counts down from the server's deadline.
(function () {
  var root = document.getElementById("attempt");
  if (!root) return;
  var url = root.getAttribute("data-answer-url");
  var csrf = (document.cookie.match(/csrftoken=([^;]+)/) || [])[1] || (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value;
  var state = document.getElementById("save-state");
  var form = document.getElementById("submit-form");
  var inflight = {}, dirty = {}, failed = {};
  var submitWhenSaved = false;
  var deadline = Date.now() + parseInt(root.getAttribute("data-seconds-left"), 10) * 1000;

  function busy() { return Object.keys(inflight).length + Object.keys(dirty).length > 0; }
  function refresh() {
    if (busy()) { state.textContent = submitWhenSaved ? "正在保存答案，保存后交卷…" : "保存中…"; return; }
    if (submitWhenSaved) { submitWhenSaved = false; form.submit(); return; }
    if (!Object.keys(failed).length) state.textContent = "已保存";
  }
  function answeredCount() {
    var n = 0;
    root.querySelectorAll("fieldset.question").forEach(function (fs) { if (fs.querySelector("input:checked")) n++; });
    document.getElementById("answered").textContent = n;
  }
  function send(questionId) {
    if (inflight[questionId]) { dirty[questionId] = true; refresh(); return; }
    delete dirty[questionId];
    inflight[questionId] = true;
    refresh();
    var fs = root.querySelector('fieldset[data-question="' + questionId + '"]');
    var options = Array.prototype.map.call(fs.querySelectorAll("input:checked"), function (i) { return parseInt(i.value, 10); });
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
                 body: JSON.stringify({ question: questionId, options: options }) })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, status: r.status, data: d }; }); })
      .then(function (res) {
        delete inflight[questionId];
        if (res.ok) {
          delete failed[questionId];
          if (typeof res.data.seconds_left === "number") deadline = Date.now() + res.data.seconds_left * 1000;
        } else {
          failed[questionId] = true;
          if (submitWhenSaved) {
            submitWhenSaved = false;
            delete form.dataset.sent;
            var button = form.querySelector("button[type=submit]");
            button.disabled = false;
            button.textContent = "交卷";
          }
          state.textContent = res.data.error || "保存失败";
          if (res.status === 409) { window.location.reload(); return; }
        }
        if (dirty[questionId]) send(questionId); else refresh();
      })
      .catch(function () {
        delete inflight[questionId];
        dirty[questionId] = true;
        state.textContent = "网络中断，恢复后自动重试";
        setTimeout(function () { if (dirty[questionId] && !inflight[questionId]) send(questionId); }, 3000);
      });
  }
  root.addEventListener("change", function (e) {
    var fs = e.target.closest("fieldset.question");
    if (!fs) return;
    answeredCount();
    send(fs.getAttribute("data-question"));
  });
  window.addEventListener("online", function () { Object.keys(dirty).forEach(send); });
  // Answers ticked before this script arrived (a slow network) differ from what the server rendered: save them now.
  root.querySelectorAll("fieldset.question").forEach(function (fs) {
    var changed = Array.prototype.some.call(fs.querySelectorAll("input"), function (i) { return i.checked !== i.defaultChecked; });
    if (changed) send(fs.getAttribute("data-question"));
  });
  answeredCount();
  root.setAttribute("data-ready", "1");
  form.addEventListener("submit", function (e) {
    if (!busy()) return;
    e.preventDefault();
    submitWhenSaved = true;
    refresh();
  });
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    document.getElementById("timer").textContent = m + ":" + (s < 10 ? "0" : "") + s;
    if (left === 0) { form.submit(); return; }
    setTimeout(tick, 1000);
  }
  tick();
})();
