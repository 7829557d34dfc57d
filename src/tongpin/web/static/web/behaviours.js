/* Page behaviours wired by data attributes, so no template needs inline script or event-handler attributes
   (the Content-Security-Policy allows scripts from this site's files only):
     data-confirm="question"  on a form (asked on submit) or on a button or link (asked on click)
     data-autosubmit          on a select or input: submits its form when the value changes
     data-select-all          on an input: selects its whole text when clicked (fields meant for copying)
     data-width="42"          on an element: its width in per cent (progress bars), set through the CSSOM */
(function () {
  "use strict";

  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  document.addEventListener("click", function (event) {
    var asking = closest(event.target, "[data-confirm]");
    if (asking && asking.tagName !== "FORM" && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.hasAttribute && field.hasAttribute("data-autosubmit") && field.form) {
      if (field.form.requestSubmit) {
        field.form.requestSubmit();
      } else {
        field.form.submit();
      }
    }
  });

  document.addEventListener("click", function (event) {
    var field = closest(event.target, "[data-select-all]");
    if (field && field.select) {
      field.select();
    }
  });

  function setWidths(root) {
    var bars = root.querySelectorAll ? root.querySelectorAll("[data-width]") : [];
    Array.prototype.forEach.call(bars, function (bar) {
      var percent = parseFloat(bar.getAttribute("data-width"));
      if (isFinite(percent)) {
        bar.style.width = Math.max(0, Math.min(100, percent)) + "%";
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setWidths(document); });
  document.addEventListener("htmx:afterSwap", function (event) { setWidths(event.target); });
})();
