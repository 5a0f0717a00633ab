// Progressive: the chart works without this. Zoom and pan for large charts, the search's
// find brought into view. (The printed chart is the server's drawing: see chart.html.)
(function () {
  var chart = document.querySelector(".chart");
  var tools = document.querySelector(".chart-tools");
  if (!chart) return;
  var tree = chart.querySelector(".org");
  var zoom = 1;

  function setZoom(value) {
    zoom = Math.min(2, Math.max(0.2, value));
    tree.style.zoom = zoom;
    tools.querySelector("output").value = Math.round(zoom * 100) + " %";
  }
  // The zoom at which the whole tree fits the chart's width, measured at actual size.
  function fitting() {
    tree.style.zoom = 1;
    var fit = Math.floor((chart.clientWidth - 2) / tree.scrollWidth * 100) / 100;
    tree.style.zoom = zoom;
    return Math.min(1, fit);
  }
  if (tools && tree) {
    tools.hidden = false;
    tools.addEventListener("click", function (event) {
      var step = event.target.closest("button[data-zoom]");
      if (!step) return;
      var by = step.dataset.zoom;
      if (by === "fit") setZoom(fitting());
      else if (by === "1") setZoom(1);
      else setZoom(Math.round((zoom + Number(by)) * 10) / 10);
    });
  }

  // Drag the chart's background to pan it (the boxes' links keep their clicks).
  var drag = null;
  chart.addEventListener("pointerdown", function (event) {
    if (event.pointerType !== "mouse" || event.button !== 0 || event.target.closest("a, summary, button")) return;
    drag = { x: event.clientX, y: event.clientY, left: chart.scrollLeft, top: chart.scrollTop };
    chart.classList.add("panning");
  });
  window.addEventListener("pointermove", function (event) {
    if (!drag) return;
    chart.scrollLeft = drag.left - (event.clientX - drag.x);
    chart.scrollTop = drag.top - (event.clientY - drag.y);
  });
  window.addEventListener("pointerup", function () {
    drag = null;
    chart.classList.remove("panning");
  });

  var found = chart.querySelector(".box.found");
  if (found && !location.hash) {
    found.scrollIntoView({ block: "center", inline: "center" });
    found.querySelector("a.name").focus({ preventScroll: true });
  }
})();
