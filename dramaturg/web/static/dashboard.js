// Throughput charts on the overview: uPlot draws them; this only fetches the data and redraws it.
(function () {
  "use strict";
  var REFRESH_MS = 15000;
  function draw(el) {
    var span = el.dataset.throughput;
    fetch("/dashboard/throughput.json?span=" + span, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) return;
        var data = [d.t, d.succeeded, d.failed];
        if (el._plot) { el._plot.setData(data); return; }
        el._plot = new uPlot({
          width: Math.max(260, el.clientWidth),
          height: 180,
          series: [
            {},
            { label: "succeeded", stroke: "#15803d", fill: "rgba(21,128,61,0.08)" },
            { label: "failed", stroke: "#b91c1c", fill: "rgba(185,28,28,0.08)" },
          ],
          axes: [{}, { size: 40 }],
          scales: { y: { range: function (u, min, max) { return [0, Math.max(1, max)]; } } },
        }, data, el);
      });
  }
  function all() { document.querySelectorAll("[data-throughput]").forEach(draw); }
  document.addEventListener("DOMContentLoaded", function () {
    all();
    setInterval(all, REFRESH_MS);
    window.addEventListener("resize", function () {
      document.querySelectorAll("[data-throughput]").forEach(function (el) {
        if (el._plot) el._plot.setSize({ width: Math.max(260, el.clientWidth), height: 180 });
      });
    });
  });
})();
