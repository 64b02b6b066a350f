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
  /* Every row of the once-only form is in one form (so that Submit carries them all); Enter
     in a row's box saves that row, as its own Save button does, not the form's first row. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.isComposing) { return; }
    var field = event.target;
    if (!(field instanceof HTMLInputElement) || !field.form || field.form.id !== "facts-form") {
      return;
    }
    var row = field.closest(".fact[data-field]");
    var save = row ? row.querySelector("button[name=field]") : null;
    if (!save) { return; }
    event.preventDefault();
    save.click();
  });
})();
