/* The customers' pages: after a refused submission, the error summary takes the focus, so a screen
   reader reads what to fix and the keyboard starts from its links to the fields. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
  });
})();
