"""A readable diff between two revisions: paragraphs aligned, changed characters marked inside them."""

from dataclasses import dataclass
from difflib import SequenceMatcher
from html import escape

from django.utils.safestring import SafeString, mark_safe

from .models import Revision


@dataclass(frozen=True)
class DiffLine:
    kind: str  # equal, insert, delete, replace
    html: SafeString


def _inline(old: str, new: str) -> str:
    out = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            out.append(escape(old[a1:a2]))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(old[a1:a2])}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(new[b1:b2])}</ins>")
    return "".join(out)


def text_diff(old: str, new: str) -> list[DiffLine]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    lines: list[DiffLine] = []
    for op, a1, a2, b1, b2 in SequenceMatcher(None, old_lines, new_lines, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [DiffLine("equal", mark_safe(escape(t))) for t in old_lines[a1:a2]]  # noqa: S308
        elif op == "delete":
            lines += [DiffLine("delete", mark_safe(f"<del>{escape(t)}</del>")) for t in old_lines[a1:a2]]  # noqa: S308
        elif op == "insert":
            lines += [DiffLine("insert", mark_safe(f"<ins>{escape(t)}</ins>")) for t in new_lines[b1:b2]]  # noqa: S308
        else:
            olds, news = old_lines[a1:a2], new_lines[b1:b2]
            for i in range(max(len(olds), len(news))):
                o, n = (olds[i] if i < len(olds) else ""), (news[i] if i < len(news) else "")
                lines.append(DiffLine("replace", mark_safe(_inline(o, n))))  # noqa: S308  (escaped in _inline)
    return lines


@dataclass(frozen=True)
class RevisionDiff:
    old: Revision
    new: Revision
    title: SafeString
    summary: SafeString
    body: list[DiffLine]
    tags_added: list[str]
    tags_removed: list[str]

    @property
    def unchanged(self) -> bool:
        return (
            all(line.kind == "equal" for line in self.body)
            and self.old.title == self.new.title
            and (self.old.summary == self.new.summary and not self.tags_added and not self.tags_removed)
        )


def diff_revisions(old: Revision, new: Revision) -> RevisionDiff:
    return RevisionDiff(
        old=old,
        new=new,
        title=mark_safe(_inline(old.title, new.title)),  # noqa: S308
        summary=mark_safe(_inline(old.summary, new.summary)),  # noqa: S308
        body=text_diff(old.body_text, new.body_text),
        tags_added=sorted(set(new.tags) - set(old.tags)),
        tags_removed=sorted(set(old.tags) - set(new.tags)),
    )
