// chronique: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // "/" focuses the search box (unless typing in a field already).
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
    if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var box = document.getElementById("q");
      if (box) {
        event.preventDefault();
        box.focus();
        box.select();
      }
    }
  });
  // On an event page, following a [n] link from the summary briefly marks the source it points to.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest ? event.target.closest("a[href^='#src-']") : null;
    if (!link) { return; }
    var item = document.getElementById(link.getAttribute("href").slice(1));
    if (item) {
      item.classList.add("flash");
      window.setTimeout(function () { item.classList.remove("flash"); }, 1600);
    }
  });
})();
