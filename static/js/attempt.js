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
          announce(state.textContent);
          if (res.status === 409) { window.location.reload(); return; }
        }
        if (dirty[questionId]) send(questionId); else refresh();
      })
      .catch(function () {
        delete inflight[questionId];
        dirty[questionId] = true;
        state.textContent = "网络中断，恢复后自动重试";
        announce("保存失败：" + state.textContent);
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
  // The hand-in sheet: unanswered questions (each a link to jump back), or, when time is up with saves
  // still pending, what is happening. Nothing is handed in until the teacher confirms (or time is up).
  var sheet = document.getElementById("handin-sheet");
  var alertRegion = document.getElementById("quiz-alert");
  var confirmed = false, timeUp = false;
  function announce(text) { alertRegion.textContent = ""; setTimeout(function () { alertRegion.textContent = text; }, 50); }
  function unanswered() {
    return Array.prototype.filter.call(root.querySelectorAll("fieldset.question"), function (fs) { return !fs.querySelector("input:checked"); });
  }
  function openSheet(missing) {
    var list = document.getElementById("handin-unanswered");
    list.textContent = "";
    missing.forEach(function (fs) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "#" + fs.id;
      a.textContent = "第" + fs.getAttribute("data-position") + "题";
      a.addEventListener("click", function (e) {
        e.preventDefault();
        closeSheet();
        fs.scrollIntoView();
        fs.querySelector("input").focus();
      });
      li.appendChild(a);
      list.appendChild(li);
    });
    var summary = timeUp ? "时间到，正在保存最后的答案，保存后自动交卷。" : "";
    if (!timeUp) summary = missing.length ? "还有 " + missing.length + " 题未作答：" : "答案还有未保存成功的，确定现在交卷吗？";
    document.getElementById("handin-summary").textContent = summary;
    document.getElementById("handin-cancel").hidden = timeUp;
    document.getElementById("handin-confirm").hidden = timeUp;
    if (sheet.showModal) { if (!sheet.open) sheet.showModal(); } else { sheet.setAttribute("open", ""); }
  }
  function closeSheet() { if (sheet.close) { if (sheet.open) sheet.close(); } else { sheet.removeAttribute("open"); } }
  document.getElementById("handin-cancel").addEventListener("click", closeSheet);
  document.getElementById("handin-confirm").addEventListener("click", function () {
    confirmed = true;
    closeSheet();
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  });
  sheet.addEventListener("cancel", function (e) { if (timeUp) e.preventDefault(); });
  form.addEventListener("submit", function (e) {
    if (!confirmed && !timeUp) {
      var missing = unanswered();
      if (missing.length || Object.keys(failed).length) { e.preventDefault(); openSheet(missing); return; }
    }
    if (!busy()) return;
    e.preventDefault();
    submitWhenSaved = true;
    refresh();
  });
  var warned = {};
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var m = Math.floor(left / 60), s = left % 60;
    document.getElementById("timer").textContent = m + ":" + (s < 10 ? "0" : "") + s;
    [5, 1].forEach(function (minutes) {
      if (left <= minutes * 60 && left > 0 && !warned[minutes]) {
        warned[minutes] = true;
        announce("剩余 " + minutes + " 分钟，时间到将自动交卷。");
      }
    });
    if (left === 0) {
      timeUp = true;
      if (busy()) { openSheet([]); submitWhenSaved = true; refresh(); return; }
      form.submit();
      return;
    }
    setTimeout(tick, 1000);
  }
  // Marks every warning already passed when the page opens late in the attempt, so only what comes is announced.
  (function () {
    var left = Math.round((deadline - Date.now()) / 1000);
    [5, 1].forEach(function (minutes) { if (left <= minutes * 60) warned[minutes] = true; });
  })();
  tick();
})();
