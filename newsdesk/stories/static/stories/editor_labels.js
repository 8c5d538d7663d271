// Name the page editor's rich-text box and tag input after their fields' labels.
// Wagtail's Draftail editor and tag widget replace the input a <label for> points
// at with elements of their own, which are left with no accessible name
// (wagtail/wagtail#14205): screen readers announced an unnamed text box.
(function () {
  "use strict";
  var WIDGETS = '[role="textbox"][contenteditable="true"], input.ui-autocomplete-input';

  function nameWidgets() {
    document.querySelectorAll("[data-field-input]").forEach(function (box) {
      var original = box.querySelector("input[id], textarea[id]");
      if (!original) return;
      var label = document.querySelector('label[for="' + original.id + '"]');
      if (!label) return;
      if (!label.id) label.id = original.id + "-label";
      box.querySelectorAll(WIDGETS).forEach(function (widget) {
        if (!widget.hasAttribute("aria-labelledby") && !widget.hasAttribute("aria-label")) {
          widget.setAttribute("aria-labelledby", label.id);
        }
      });
    });
  }

  function start() {
    nameWidgets();
    // The widgets are drawn after the page loads, and again as panels are added.
    new MutationObserver(nameWidgets).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
