// Draws the friction dashboard's charts (Apache ECharts, vendored) from the JSON the page
// carries; each chart's table stays on the page for screen readers and printing.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var charts = [];
  function draw(id, series, type) {
    var node = document.getElementById(id);
    if (!node || !series || !series.labels.length) { return; }
    var chart = echarts.init(node, null, { renderer: "svg" });
    chart.setOption({
      aria: { enabled: true },
      animation: false,
      grid: { left: 48, right: 16, top: 16, bottom: 64, containLabel: true },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: series.labels, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: type, data: series.values, itemStyle: { color: "#0b57d0" } }]
    });
    charts.push(chart);
  }
  draw("chart-kinds", data.kinds, "bar");
  draw("chart-weeks", data.weeks, "line");
  draw("chart-departments", data.departments, "bar");
  draw("chart-ratings", data.ratings, "bar");
  draw("chart-satisfaction", data.satisfaction, "line");
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
