"""What pressing Enter does in a page's forms. A browser submits a form when Enter is pressed in a one-line field
(an <input> of a text-like type), using the form's first submit button. In a form whose buttons are different
decisions (approve / reject, withdraw / keep), that lets a keystroke pick the first decision. These helpers find
such forms in rendered HTML, so page tests can assert that none exist."""

from html.parser import HTMLParser

# <input> types where Enter submits the form (implicit submission); checkboxes, radios, files and hidden do not
# take typed text, and a <textarea> takes Enter as a new line.
LINE_TYPES = {"", "text", "search", "email", "url", "tel", "number", "password", "date", "datetime-local", "time"}


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        values = {k: (v or "") for k, v in attrs}
        if tag == "form":
            self._open = {"action": values.get("action", ""), "buttons": [], "line_fields": []}
            self.forms.append(self._open)
        elif self._open is None:
            return
        elif tag == "button" and values.get("type", "submit") == "submit":
            self._open["buttons"].append(values.get("value", values.get("name", "")))
        elif tag == "input" and values.get("type", "").lower() == "submit":
            self._open["buttons"].append(values.get("value", ""))
        elif tag == "input" and values.get("type", "").lower() in LINE_TYPES and "readonly" not in values:
            self._open["line_fields"].append(values.get("name", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def enter_picks_a_decision(html: str) -> list[dict]:
    """Forms with several submit buttons and a one-line field where Enter would submit with the first button."""
    parser = _Forms()
    parser.feed(html)
    return [f for f in parser.forms if len(f["buttons"]) > 1 and f["line_fields"]]


def decision_forms(html: str) -> list[dict]:
    """Every form with more than one submit button (to check the page has the forms the test means to check)."""
    parser = _Forms()
    parser.feed(html)
    return [f for f in parser.forms if len(f["buttons"]) > 1]
