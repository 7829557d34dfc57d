"""One-click fixes: put a finding's suggestion into the story, saved as a new revision.

Findings point into the review text (title, summary and body text joined by newlines). A fix in the body is
applied to the HTML: the k-th occurrence of the matched text in the body's plain text is the k-th occurrence
across the HTML's text nodes, so markup is never touched.
"""

from django.utils.translation import gettext as _
from lxml import html as lxml_html

from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.newsroom import stories as story_service
from tongpin.newsroom.models import Story

from .proofing import apply_suggestion, finding_key, latest_report


def _replace_nth_in_html(body_html: str, needle: str, nth: int, replacement: str) -> str | None:
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    seen = 0
    for element in root.iter():
        for attr in ("text", "tail"):
            if element is root and attr == "tail":
                continue
            value = getattr(element, attr)
            if not value or needle not in value:
                continue
            start = 0
            while (index := value.find(needle, start)) != -1:
                if seen == nth:
                    setattr(element, attr, value[:index] + replacement + value[index + len(needle) :])
                    inner = (root.text or "") + "".join(lxml_html.tostring(child, encoding="unicode") for child in root)
                    return inner
                seen += 1
                start = index + len(needle)
    return None


def accept_fix(actor: Actor, story: Story, key: str) -> Story:
    revision = story.revisions.get(number=story.version)
    report = latest_report(revision)
    finding = next((f for f in report.findings if finding_key(f) == key), None)
    if finding is None or finding.get("suggestion") is None:
        raise ValidationFailed(FieldError("no_suggestion", _("这条校对结果没有可采纳的建议。"), "key"))
    parts = [("title", revision.title), ("summary", revision.summary), ("body", revision.body_text)]
    offset = 0
    for name, text in parts:
        if not text:
            continue
        if offset <= finding["start"] and finding["end"] <= offset + len(text):
            local = {**finding, "start": finding["start"] - offset, "end": finding["end"] - offset}
            if name in ("title", "summary"):
                value = apply_suggestion(text, local)
                data = story_service.StoryInput.of(**{name: value})
            else:
                apply_suggestion(text, local)  # checks the finding still matches the text
                nth = text.count(finding["text"], 0, local["start"])
                fixed = _replace_nth_in_html(revision.body_html, finding["text"], nth, finding["suggestion"])
                if fixed is None:
                    raise ValidationFailed(
                        FieldError("fix_by_hand", _("此处跨越了格式标记，请在编辑器中手动修改。"), "key")
                    )
                data = story_service.StoryInput.of(body_html=fixed)
            return story_service.update_story(actor, story.pk, data, story.version)
        offset += len(text) + 1
    raise ValidationFailed(FieldError("stale_finding", _("正文已变化，请重新校对后再采纳。"), "key"))
