"""Icons in the pages need no emoji font: many office PCs have none and showed 🔗 or ⛔ as an empty box. A mark
drawn in SVG (web/_icon_*.html) or a symbol the ordinary text fonts carry (⚠ ✓ → ☰) is fine."""

import re
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src" / "tongpin"
# Characters outside the Basic Multilingual Plane (🔗 and the other pictographs) and the BMP characters Unicode
# shows as emoji by default (Emoji_Presentation=Yes): both come only from an emoji font.
EMOJI = re.compile(
    "[\U00010000-\U0010ffff\u231a\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd\u25fe\u2614\u2615\u2648-\u2653\u267f"
    "\u2693\u26a1\u26aa\u26ab\u26bd\u26be\u26c4\u26c5\u26ce\u26d4\u26ea\u26f2\u26f3\u26f5\u26fa\u26fd\u2705"
    "\u270a\u270b\u2728\u274c\u274e\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf\u2b1b\u2b1c\u2b50\u2b55\ufe0f]"
)


def _page_sources() -> list[Path]:
    return [p for p in SOURCE.rglob("*") if p.suffix in {".html", ".js", ".css"} and "vendor" not in p.parts]


def test_no_page_uses_an_emoji_as_an_icon():
    found = []
    for path in _page_sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            found += [f"{path.relative_to(SOURCE)}:{number}: {c!r}" for c in EMOJI.findall(line)]
    assert len(_page_sources()) > 50  # the scan saw the templates
    assert not found, "\n".join(found)


def test_the_emoji_check_catches_the_glyphs_it_is_for():
    assert EMOJI.findall("🔗⛔✅⭐️") == ["🔗", "⛔", "✅", "⭐", "\ufe0f"]
    assert not EMOJI.findall("⚠ ✓ → ☰ ▾ ◆ ¶ • “ 汉字")


def test_the_editors_link_button_is_drawn_and_named(users, client_for):
    form = client_for("reporter").get("/stories/new/").content.decode()
    button = re.search(r'<button type="button" data-cmd="createLink"([^>]*)>(.*?)</button>', form, re.S)
    assert button is not None
    assert 'title="链接"' in button[1] and 'aria-label="链接"' in button[1]
    assert "<svg" in button[2] and 'aria-hidden="true"' in button[2] and not EMOJI.search(button[2])
