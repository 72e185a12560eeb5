/* interp's small additions to the site's pages; no other script, nothing from other hosts.

   1. Every gallery figure links to its full-resolution PNG (the 2x file of its srcset), so
      a reader on a phone, where a 7-inch figure is shrunk to a third, can open it and zoom.
   2. On the computation-times page, a long file name may break after "/" or "_" rather
      than in the middle of a word.
   3. A page opened from the disk (file://) has no version switcher: the browser refuses
      the theme's fetch of _static/versions.json there (an error in the console), and the
      other versions are not on the disk anyway. Runs before the theme's deferred script. */
(function () {
  "use strict";

  // (Sphinx declares DOCUMENTATION_OPTIONS with const: a global, not a window property)
  if (window.location.protocol === "file:" && typeof DOCUMENTATION_OPTIONS === "object") {
    delete DOCUMENTATION_OPTIONS.theme_switcher_json_url;
    document.documentElement.classList.add("interp-from-disk");
  }

  function largestSource(img) {
    var best = img.getAttribute("src");
    var scale = 1;
    (img.getAttribute("srcset") || "").split(",").forEach(function (candidate) {
      var parts = candidate.trim().split(/\s+/);
      var factor = parts.length > 1 ? parseFloat(parts[1]) : 1;
      if (parts[0] && factor > scale) {
        best = parts[0];
        scale = factor;
      }
    });
    return best;
  }

  function linkFigures() {
    var figures = document.querySelectorAll(
      ".bd-article img.sphx-glr-single-img, .bd-article img.sphx-glr-multi-img");
    figures.forEach(function (img) {
      if (img.closest("a")) {
        return;
      }
      var link = document.createElement("a");
      link.href = largestSource(img);
      link.className = "interp-zoom";
      link.title = "Open the figure at full size";
      img.parentNode.insertBefore(link, img);
      link.appendChild(img);
    });
  }

  function breakFileNames() {
    var names = document.querySelectorAll("table.sg-times td:first-child span.pre");
    names.forEach(function (span) {
      var text = span.textContent;
      if (!/[\/_]/.test(text)) {
        return;
      }
      span.textContent = "";
      text.split(/(?<=[\/_])/).forEach(function (piece, i) {
        if (i > 0) {
          span.appendChild(document.createElement("wbr"));
        }
        span.appendChild(document.createTextNode(piece));
      });
    });
  }

  function init() {
    linkFigures();
    breakFileNames();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
