/* Arrears: draws the console dashboard's charts with Apache ECharts. Each chart's data is in
   the page as <script type="application/json" id="data-NAME">, beside <div id="chart-NAME">;
   the numbers are the server's (amounts and rates as decimal text), only drawn here. */
(function () {
  "use strict";

  /** A decimal text ("1234.56", "12.50") or a count as a number to plot; null stays a gap. */
  function num(v) {
    return v === null || v === undefined ? null : Number(v);
  }

  /** Tooltips drawn on the canvas: no HTML with inline styles, which the policy forbids. */
  var tooltip = { renderMode: "richText", confine: true };

  function cartesian(d) {
    var axes = d.axes.map(function (name) {
      return { type: "value", name: name, nameTextStyle: { align: "left" } };
    });
    return {
      tooltip: Object.assign({ trigger: "axis" }, tooltip),
      legend: { type: "scroll", top: 0 },
      grid: { left: 64, right: axes.length > 1 ? 64 : 24, top: 56, bottom: 48 },
      xAxis: { type: "category", data: d.categories, name: d.xName || "", nameLocation: "middle", nameGap: 28 },
      yAxis: axes,
      series: d.series.map(function (s) {
        return {
          name: s.name,
          type: s.type,
          stack: s.stack ? "total" : undefined,
          yAxisIndex: s.axis,
          connectNulls: false,
          data: s.values.map(num)
        };
      })
    };
  }

  function heatmap(d) {
    return {
      tooltip: Object.assign({
        formatter: function (p) {
          return d.y[p.value[1]] + " → " + d.x[p.value[0]] + ": " + p.value[3] + " (" + p.value[2] + "%)";
        }
      }, tooltip),
      title: { text: d.yName + " → " + d.xName, left: 0, top: 0, textStyle: { fontSize: 13, fontWeight: "normal" } },
      grid: { left: 96, right: 24, top: 40, bottom: 56 },
      xAxis: { type: "category", data: d.x, splitArea: { show: true } },
      yAxis: { type: "category", data: d.y, inverse: true, splitArea: { show: true } },
      visualMap: {
        min: 0, max: 100, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120,
        inRange: { color: ["#f6f7f9", "#f2c14e", "#b42318"] }
      },
      series: [{
        type: "heatmap",
        data: d.cells.map(function (c) { return [c[0], c[1], num(c[2]), c[3]]; }),
        label: { show: true, formatter: function (p) { return p.value[3] > 0 ? p.value[2] + "%" : ""; } }
      }]
    };
  }

  function funnel(d) {
    return {
      tooltip: Object.assign({ trigger: "item" }, tooltip),
      series: [{
        type: "funnel",
        sort: "none",
        left: "5%",
        width: "65%",
        minSize: "4%",
        label: { show: true, position: "right", formatter: "{b}: {c}" },
        data: d.steps
      }]
    };
  }

  var builders = { cartesian: cartesian, heatmap: heatmap, funnel: funnel };

  function draw() {
    if (typeof echarts === "undefined") {
      return;
    }
    var drawn = [];
    document.querySelectorAll("div.chart[data-chart]").forEach(function (box) {
      var source = document.getElementById("data-" + box.getAttribute("data-chart"));
      if (!source) {
        return;
      }
      var data = JSON.parse(source.textContent);
      var build = builders[data.kind];
      if (!build) {
        return;
      }
      var chart = echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(Object.assign({ animation: false }, build(data)));
      drawn.push(chart);
    });
    window.addEventListener("resize", function () {
      drawn.forEach(function (c) { c.resize(); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
