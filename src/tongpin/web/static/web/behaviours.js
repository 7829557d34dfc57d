/* Page behaviours wired by data attributes, so no template needs inline script or event-handler attributes
   (the Content-Security-Policy allows scripts from this site's files only):
     data-confirm="question"  on a form (asked on submit) or on a button or link (asked on click); on a submit
                              button the question may name its form's fields: {name} is the chosen option's text
                              or the typed value, {name.key} the chosen option's data-key; it is asked only once
                              the form is valid (else the browser first says what is missing)
     data-autosubmit          on a select or input: submits its form when the value changes
     data-select-all          on an input: selects its whole text when clicked (fields meant for copying)
     data-width="42"          on an element: its width in per cent (progress bars), set through the CSSOM */
(function () {
  "use strict";

  function closest(node, selector) {
    return node && node.closest ? node.closest(selector) : null;
  }

  // A field of the form as the question names it: {level} the chosen option's text, {level.reach} its data-reach.
  function fieldText(form, name, key) {
    var field = form.elements.namedItem(name);
    if (!field) {
      return "";
    }
    var option = field.tagName === "SELECT" ? field.options[field.selectedIndex] : null;
    if (key) {
      return (option || field).getAttribute("data-" + key) || "";
    }
    return option ? option.text : field.value;
  }

  // Filled three times, so that an option's text may itself name another field, which may name a third
  // ({msg_type.lead} names {status.cancel}, which names {level.reach}).
  function question(asking) {
    var text = asking.getAttribute("data-confirm");
    var form = asking.form;
    if (!form) {
      return text;
    }
    for (var pass = 0; pass < 3; pass += 1) {
      text = text.replace(/\{([a-z_]+)(?:\.([a-z-]+))?\}/g, function (whole, name, key) {
        return fieldText(form, name, key);
      });
    }
    return text;
  }

  // A submit that the browser will refuse anyway (a required field left empty) asks nothing first.
  function blocked(button) {
    return button.form && button.type === "submit" && !button.formNoValidate && !button.form.noValidate &&
      !button.form.checkValidity();
  }

  document.addEventListener("click", function (event) {
    var asking = closest(event.target, "[data-confirm]");
    if (asking && asking.tagName !== "FORM" && !blocked(asking) && !window.confirm(question(asking))) {
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

  // A polled region (the home page's waiting alerts) is replaced only when the server's answer changed: the same
  // role="alert" content put in again would be read out again by a screen reader every time the page asks.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || !target.hasAttribute("data-swap-changed-only")) return;
    var answer = document.createElement("template");
    answer.innerHTML = event.detail.serverResponse;  // parsed, not run: compared as the browser would hold it
    if (answer.innerHTML.trim() === target.innerHTML.trim()) {
      event.detail.shouldSwap = false;
    }
  });
})();
