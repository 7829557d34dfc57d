"""Checks on a rendition: the channel's own limits (the formatter) plus any text checkers other apps register.

The proofreading engine lives in `review`, which depends on publishing and not the other way round, so it
plugs itself in here at start-up (`register_text_checker`). Their findings are warnings: the three-level
review already approved the text, the channel version is shown what the checker still sees.
"""

from collections.abc import Callable

from .plugins import Finding, formatter_for

TextChecker = Callable[[str, str], list[Finding]]  # (text, channel kind) → findings
TEXT_CHECKERS: list[TextChecker] = []


def register_text_checker(checker: TextChecker) -> None:
    if checker not in TEXT_CHECKERS:
        TEXT_CHECKERS.append(checker)


def check_fields(kind: str, fields: dict, channel_settings: dict, proofread: bool = True) -> list[dict]:
    formatter = formatter_for(kind)
    found = formatter.check(fields, channel_settings)
    if proofread:
        text = formatter.text_of(fields)
        for checker in TEXT_CHECKERS:
            found.extend(checker(text, kind))
    return [finding.as_dict() for finding in found]
