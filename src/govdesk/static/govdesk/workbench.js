/* Workbench: show the server's error panels. htmx leaves 4xx responses unswapped by default;
   the workbench answers 403, 404, 409 and 422 with a panel meant to replace the workspace. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if ([403, 404, 409, 422].indexOf(status) >= 0) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
