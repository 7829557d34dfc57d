// A small rich-text editor over the story body textarea. Without JavaScript the textarea still works;
// the server sanitises whatever arrives, so this is convenience, never a safety measure.
(function () {
  document.querySelectorAll("[data-editor-for]").forEach(function (editor) {
    var textarea = document.getElementById(editor.dataset.editorFor);
    var area = editor.querySelector(".editable");
    if (!textarea || !area) return;
    var value = textarea.value.trim();
    area.innerHTML = value && value.indexOf("<") === -1
      ? value.split(/\n+/).map(function (p) { var el = document.createElement("p"); el.textContent = p; return el.outerHTML; }).join("")
      : value;
    editor.hidden = false;
    textarea.hidden = true;
    var sync = function () { textarea.value = area.innerHTML; };
    area.addEventListener("input", sync);
    editor.querySelectorAll("[data-cmd]").forEach(function (button) {
      button.addEventListener("click", function () {
        var arg = button.dataset.arg || null;
        if (button.dataset.cmd === "createLink") {
          arg = window.prompt("URL (https://…)");
          if (!arg || !/^https?:\/\//.test(arg)) return;
        }
        area.focus();
        document.execCommand(button.dataset.cmd, false, arg);
        sync();
      });
    });
    textarea.form.addEventListener("submit", sync);
  });
})();
