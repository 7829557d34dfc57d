// A small rich-text editor over the story body textarea. Without JavaScript the textarea still works;
// the server sanitises whatever arrives, so this is convenience, never a safety measure.
// Paragraphs: Enter makes a <p> (Chromium alone would make a <div>); pasted plain text becomes one paragraph a
// line; pasted HTML (Word, WPS, web pages) keeps its paragraphs, headings, lists and emphasis and nothing else
// (pictures go in as 素材, not by pasting). The textarea receives the content with its top level in paragraphs.
// The server does the same to whatever arrives (newsroom/sanitise.py), so API clients get the same rules.
(function () {
  // Blocks kept as they are (their content cleaned), with headings outside the subset renamed.
  var KEPT = { H1: "h2", H2: "h2", H3: "h3", H4: "h4", H5: "h4", H6: "h4", UL: "ul", OL: "ol", TABLE: "table",
               FIGURE: "figure", HR: "hr" };
  // Blocks that only separate paragraphs: their content becomes paragraphs of its own.
  var SEPARATING = /^(P|DIV|SECTION|ARTICLE|HEADER|FOOTER|MAIN|ASIDE|NAV|ADDRESS|CENTER|PRE|DL|DT|DD|DETAILS|SUMMARY|FORM|FIELDSET|HGROUP|LI|TR|TD|TH|TBODY|THEAD|TFOOT|CAPTION|FIGCAPTION)$/;
  var INLINE = { B: "strong", STRONG: "strong", I: "em", EM: "em", U: "u", S: "s", STRIKE: "s", SUB: "sub",
                 SUP: "sup", A: "a", BR: "br" };
  // Dropped with their content when pasting (styles, scripts, Word's XML, pictures).
  var DROPPED = /^(SCRIPT|STYLE|TITLE|HEAD|META|LINK|XML|TEMPLATE|IFRAME|OBJECT|EMBED|NOSCRIPT|SVG|MATH|IMG|PICTURE|VIDEO|AUDIO|CANVAS|BUTTON|INPUT|SELECT|TEXTAREA)$/;

  var blockSelector = Object.keys(KEPT).concat(["blockquote", "p", "div", "section", "article", "li"]).join(",");

  function isBlock(node) {
    return node.nodeType === 1 && (node.nodeName in KEPT || node.nodeName === "BLOCKQUOTE" || SEPARATING.test(node.nodeName));
  }

  // Whether inline nodes hold anything to read or see (not just spaces, <br>s or empty tags).
  function hasContent(nodes) {
    return nodes.some(function (n) {
      if (n.nodeName === "IMG" || n.nodeType === 1 && n.querySelector("img")) return true;
      return n.nodeName !== "BR" && /\S/.test(n.textContent.replace(/\u00a0/g, " "));
    });
  }

  // Inline nodes into <p>s: two or more <br> in a row end a paragraph, a single one stays a line break.
  function paragraphs(run, doc) {
    var out = [], current = [], breaks = 0;
    var close = function () {
      if (hasContent(current)) {
        var p = doc.createElement("p");
        current.forEach(function (n) { p.appendChild(n); });
        out.push(p);
      }
      current = [];
    };
    run.forEach(function (node) {
      if (node.nodeType === 3 && !/\S/.test(node.textContent)) { if (!breaks) current.push(node); return; }
      if (node.nodeName === "BR") { breaks += 1; if (breaks === 2) close(); return; }
      if (breaks === 1 && hasContent(current)) current.push(doc.createElement("br"));
      breaks = 0;
      current.push(node);
    });
    close();
    return out;
  }

  // The blocks of a container's content, inline runs gathered into <p>s (the top level, a quotation).
  function blocks(container, doc) {
    var out = [], run = [];
    var endRun = function () { out = out.concat(paragraphs(run, doc)); run = []; };
    Array.prototype.slice.call(container.childNodes).forEach(function (node) {
      if (node.nodeType !== 1 && node.nodeType !== 3) return;
      if (node.nodeType === 3 || !isBlock(node) && !node.querySelector(blockSelector)) { run.push(node); return; }
      endRun();
      if (node.nodeName === "BLOCKQUOTE") {
        var quote = doc.createElement("blockquote");
        blocks(node, doc).forEach(function (b) { quote.appendChild(b); });
        if (quote.firstChild) out.push(quote);
      } else if (node.nodeName in KEPT) {
        out.push(node);
      } else {
        out = out.concat(blocks(node, doc));  // a <div> of text becomes a <p>; one of blocks is unwrapped
      }
    });
    endRun();
    return out;
  }

  // A clean copy of pasted HTML: allowed tags without attributes (a link keeps an http(s) href), separating
  // blocks as <div>, everything else unwrapped; WPS and web pages mark bold and italic with styles.
  function cleanCopy(source, target, doc) {
    Array.prototype.slice.call(source.childNodes).forEach(function (node) {
      if (node.nodeType === 3) { target.appendChild(doc.createTextNode(node.textContent)); return; }
      if (node.nodeType !== 1 || DROPPED.test(node.nodeName)) return;
      var name = node.nodeName.toUpperCase(), copy = null;
      if (name in KEPT) copy = doc.createElement(KEPT[name]);
      else if (name === "BLOCKQUOTE" || name === "LI" || name === "TR" || name === "TD" || name === "TH" ||
               name === "THEAD" || name === "TBODY") copy = doc.createElement(name.toLowerCase());
      else if (SEPARATING.test(name)) copy = doc.createElement("div");
      else if (name in INLINE) copy = doc.createElement(INLINE[name]);
      if (copy && name === "A") {
        var href = node.getAttribute("href") || "";
        if (/^(https?:|mailto:)/i.test(href)) copy.setAttribute("href", href); else copy = null;
      }
      if (!copy && node.getAttribute && node.getAttribute("style")) {
        // Read the attribute's text, not node.style: under the site's Content-Security-Policy (no inline styles)
        // the browser leaves pasted style attributes unparsed, so node.style would be empty.
        var style = node.getAttribute("style").toLowerCase();
        var weight = (style.match(/font-weight\s*:\s*([a-z0-9]+)/) || [])[1] || "";
        if (weight === "bold" || weight === "bolder" || parseInt(weight, 10) >= 600) copy = doc.createElement("strong");
        else if (/font-style\s*:\s*italic/.test(style)) copy = doc.createElement("em");
      }
      if (copy) { cleanCopy(node, copy, doc); target.appendChild(copy); } else cleanCopy(node, target, doc);
    });
  }

  function escapeHtml(text) {
    var el = document.createElement("p");
    el.textContent = text;
    return el.innerHTML;
  }

  // What a paste inserts, as HTML, and whether it is one paragraph's inline content (inserted in place).
  function pasted(data) {
    var html = data.getData("text/html"), text = data.getData("text/plain");
    if (html) {
      var source = new DOMParser().parseFromString(html, "text/html");  // inert: nothing runs or loads
      var holder = document.createElement("div");
      cleanCopy(source.body, holder, document);
      var found = blocks(holder, document);
      if (found.length === 1 && found[0].nodeName === "P") return { html: found[0].innerHTML, inline: true };
      if (found.length) return { html: found.map(function (b) { return b.outerHTML; }).join(""), inline: false };
    }
    var lines = (text || "").split(/\r\n|\r|\n|\u2028|\u2029/).map(function (l) { return l.trim(); }).filter(Boolean);
    if (lines.length === 1) return { html: escapeHtml(lines[0]), inline: true };
    return { html: lines.map(function (l) { return "<p>" + escapeHtml(l) + "</p>"; }).join(""), inline: false };
  }

  // The child of `area` holding the caret, if any.
  function caretLine(area) {
    var selection = window.getSelection();
    var node = selection.rangeCount ? selection.anchorNode : null;
    while (node && node.parentNode !== area) node = node.parentNode;
    return node;
  }

  function serialise(area) {
    var clone = area.cloneNode(true);
    return blocks(clone, document).map(function (b) { return b.outerHTML; }).join("");
  }

  document.execCommand("defaultParagraphSeparator", false, "p");
  document.querySelectorAll("[data-editor-for]").forEach(function (editor) {
    var textarea = document.getElementById(editor.dataset.editorFor);
    var area = editor.querySelector(".editable");
    if (!textarea || !area) return;
    var value = textarea.value.trim();
    area.innerHTML = value && value.indexOf("<") === -1
      ? value.split(/\n+/).map(function (p) { return "<p>" + escapeHtml(p) + "</p>"; }).join("")
      : value;
    editor.hidden = false;
    textarea.hidden = true;
    var sync = function () { textarea.value = serialise(area); };
    // The first line typed into an empty editor (or after select-all and delete) is bare text: make it a <p>,
    // so every line is a paragraph from the start.
    var keepParagraphs = function () {
      var line = caretLine(area);
      if (line && (line.nodeType === 3 || !isBlock(line))) document.execCommand("formatBlock", false, "p");
    };
    area.addEventListener("input", function (event) {
      if (!event.isComposing) keepParagraphs();  // never while an input method (pinyin, wubi) is composing
      sync();
    });
    area.addEventListener("compositionend", function () { keepParagraphs(); sync(); });
    area.addEventListener("paste", function (event) {
      if (!event.clipboardData) return;
      event.preventDefault();
      var insert = pasted(event.clipboardData);
      if (!insert.html) return;
      document.execCommand("insertHTML", false, insert.html);
      keepParagraphs();
      sync();
    });
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
    keyboard(editor, area);
  });

  // Tab from the field before goes straight into the body: the toolbar's buttons are no tab stops
  // (tabindex="-1" in the page). From the body, Alt+F10 reaches them (as in other editors), the arrow keys move
  // along and Esc goes back; Ctrl+B and Ctrl+I are the browser's own in the body.
  function keyboard(editor, area) {
    var buttons = Array.prototype.slice.call(editor.querySelectorAll("[data-cmd]"));
    area.addEventListener("keydown", function (event) {
      if (event.altKey && event.key === "F10" && buttons.length) { event.preventDefault(); buttons[0].focus(); }
    });
    buttons.forEach(function (button, at) {
      button.addEventListener("keydown", function (event) {
        var step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
        if (step) { event.preventDefault(); buttons[(at + step + buttons.length) % buttons.length].focus(); }
        else if (event.key === "Escape") { event.preventDefault(); area.focus(); }
      });
    });
    // Enter in the title moves on to the body rather than saving a draft of a title alone; not while an input
    // method (pinyin, wubi) is composing, where Enter takes the typed letters.
    document.querySelectorAll('[data-enter-to="' + editor.dataset.editorFor + '"]').forEach(function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key !== "Enter" || event.isComposing || event.keyCode === 229) return;
        event.preventDefault();
        area.focus();
      });
    });
  }
})();
