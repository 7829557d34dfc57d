"""Text helpers the formatters share: fitting Chinese text into a channel's limits."""

import re

from tongpin.core.text import html_to_text

__all__ = ["html_to_text", "fit", "sms_segments", "hashtags", "reading_seconds", "first_sentences"]

ELLIPSIS = "…"
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])")


def fit(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, ending on a sentence or with an ellipsis."""
    text = " ".join((text or "").split()) if "\n" not in (text or "") else (text or "").strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for mark in ("。", "！", "？", "；"):
        at = cut.rfind(mark)
        if at >= limit * 0.6:
            return cut[: at + 1]
    return cut.rstrip("，、,;；：: ") + ELLIPSIS


def first_sentences(text: str, limit: int) -> str:
    """Whole leading sentences of `text` that fit in `limit` characters (at least a cut first one)."""
    flat = " ".join((text or "").split())
    out = ""
    for sentence in _SENTENCE_END.split(flat):
        if not sentence:
            continue
        if len(out) + len(sentence) > limit:
            break
        out += sentence
    return out or fit(flat, limit)


# An SMS in UCS-2 (any Chinese) holds 70 characters; a long one is split into parts of 67, because each part
# carries a 3-character concatenation header.
SMS_SINGLE = 70
SMS_PART = 67


def sms_segments(text: str) -> list[str]:
    if len(text) <= SMS_SINGLE:
        return [text] if text else []
    return [text[i : i + SMS_PART] for i in range(0, len(text), SMS_PART)]


def hashtags(tags: list[str], style: str = "weibo", limit: int = 10) -> list[str]:
    """Tags as hashtags: Weibo wraps them (#话题#), Douyin prefixes them (#话题)."""
    clean = []
    for tag in tags:
        word = re.sub(r"[#\s]", "", tag)
        if word and word not in clean:
            clean.append(word)
    clean = clean[:limit]
    return [f"#{t}#" if style == "weibo" else f"#{t}" for t in clean]


def reading_seconds(text: str, chars_per_minute: int) -> int:
    """How long an anchor takes to read `text` aloud (口播时长), counting characters that are spoken."""
    spoken = len(re.sub(r"[\s，。、；：！？“”‘’（）《》,.;:!?\"'()\-—…]", "", text or ""))
    return max(1, round(spoken * 60 / max(chars_per_minute, 60))) if spoken else 0
