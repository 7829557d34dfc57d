"""The proofreading engine as a text checker for channel renditions (plugged into publishing at start-up)."""

from django.utils.translation import gettext as _

from tongpin.publishing.plugins import Finding

from .proofing import check_text

MAX_REPORTED = 20


def proofread_rendition(text: str, kind: str) -> list[Finding]:
    findings = []
    for found in check_text(text)[:MAX_REPORTED]:
        suggestion = f"，建议：{found.suggestion}" if found.suggestion else ""
        message = _("校对：“%(t)s”%(m)s") % {"t": found.text, "m": (found.message or "") + suggestion}
        findings.append(Finding(f"proof_{found.category}", message, "", "warning"))
    return findings
