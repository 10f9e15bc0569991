// Draws the dashboard's charts from the figures the server embedded (Chart.js served from our own static files).
(function () {
  var node = document.getElementById("chart-data");
  if (!node || typeof Chart === "undefined") return;
  var d = JSON.parse(node.textContent);
  var red = "#b71c1c", grey = "#bdbdbd", green = "#2e7d32";
  Chart.defaults.font.family = '"PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif';
  Chart.defaults.animation = false;
  // A fresh options object per chart: Chart.js writes resolved scales back into the one it is given.
  function options(extra) {
    return Object.assign({ responsive: true, maintainAspectRatio: false, plugins: { legend: { position: "bottom" } } }, extra || {});
  }
  new Chart(document.getElementById("chart-level"), {
    type: "bar",
    data: { labels: d.levels, datasets: [
      { label: "报名人次", data: d.level_enrolments, backgroundColor: grey },
      { label: "结业人次", data: d.level_completions, backgroundColor: red } ] },
    options: options()
  });
  new Chart(document.getElementById("chart-district"), {
    type: "bar",
    data: { labels: d.districts, datasets: [{ label: "培训教师（人）", data: d.district_teachers, backgroundColor: red }] },
    options: options({ indexAxis: "y" })
  });
  new Chart(document.getElementById("chart-trend"), {
    type: "line",
    data: { labels: d.months, datasets: [
      { label: "报名人次", data: d.month_enrolments, borderColor: grey, backgroundColor: grey },
      { label: "颁发证书", data: d.month_certificates, borderColor: green, backgroundColor: green } ] },
    options: options()
  });
})();
