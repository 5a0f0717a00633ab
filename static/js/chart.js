// Open every folded branch before printing, so the printed chart is complete.
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details.branch").forEach(function (d) { d.open = true; });
});
