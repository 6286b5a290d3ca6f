// bonemet web app: the few behaviours plain HTML cannot give (no inline script: the CSP forbids it).
// After a refused save or check, move the focus to the error summary, so that keyboard and screen
// reader users land on the list of what to correct (full page or htmx swap alike).
(function () {
  "use strict";
  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
      summary.scrollIntoView({ block: "start" });
    }
  }
  document.addEventListener("DOMContentLoaded", focusErrors);
  document.addEventListener("htmx:afterSettle", focusErrors);
})();
