/* Forms marked data-once send once: the first submit goes through, its buttons are disabled
   (after the browser has read the button that submitted) and any later submit is dropped. A
   page brought back by the back button gets its buttons back. No inline handler is needed, so
   the Content-Security-Policy can forbid them. */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("data-sent") === "true") { event.preventDefault(); return; }
    form.setAttribute("data-sent", "true");
    // The form's elements include its buttons placed elsewhere on the page (form="…").
    var buttons = Array.prototype.filter.call(form.elements, function (el) {
      return el instanceof HTMLButtonElement && el.type === "submit";
    });
    window.setTimeout(function () {
      buttons.forEach(function (b) { b.disabled = true; b.setAttribute("aria-busy", "true"); });
    }, 0);
  });
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-sent]").forEach(function (form) {
      form.removeAttribute("data-sent");
      Array.prototype.forEach.call(form.elements, function (b) {
        if (!(b instanceof HTMLButtonElement) || b.type !== "submit") { return; }
        b.disabled = false;
        b.removeAttribute("aria-busy");
      });
    });
  });
})();
