"""三校 inside Tongpin: a checker built from the rule lists and roster in the database, run on revisions.

The checker is rebuilt only when the rules' version changes: the newest change-log id, which every rule
edit and every roster change (review.signals) moves on.
"""

import csv
import io
import logging
import threading
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, NotFound, ValidationFailed
from tongpin.newsroom.models import Revision

from .models import FindingOverride, ProofreadReport, ProofRule, ProofRuleChange, RosterEntry
from .proofreading import Checker, Finding, Leader, Rule, RuleError
from .proofreading.roster import parse_roster
from .proofreading.rules import CATEGORIES, parse_rules

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[str, object] = {"key": None, "checker": None}


def rules_version() -> int:
    return ProofRuleChange.objects.aggregate(v=Max("id"))["v"] or 0


def current_checker() -> tuple[Checker, int]:
    version = rules_version()
    with _lock:
        if _cache["key"] != version:
            rules = [
                Rule(r.category, r.term, r.suggestion, r.severity, r.source, r.note)
                for r in ProofRule.objects.filter(enabled=True)
            ]
            leaders = [
                Leader(name, title, rank, tuple(t for t in former.split("|") if t))
                for name, title, rank, former in RosterEntry.objects.values_list(
                    "name", "title", "rank", "former_titles"
                )
            ]
            _cache["checker"], _cache["key"] = Checker(rules, leaders, installed_plugins()), version
        return _cache["checker"], version  # type: ignore[return-value]


PLUGIN_GROUP = "tongpin.proofreaders"


def installed_plugins() -> list:
    """Checkers an operator installed as packages (entry point group `tongpin.proofreaders`): each entry
    point names a callable taking the text and returning Findings, e.g. a statistical or neural checker."""
    from importlib.metadata import entry_points

    plugins = []
    for entry in entry_points(group=PLUGIN_GROUP):
        try:
            plugins.append(entry.load())
        except Exception:  # noqa: BLE001  (a broken plug-in must not stop proofreading)
            log.exception("proofreading plug-in %s failed to load", entry.name)
    return plugins


def finding_key(finding: dict) -> str:
    return f"{finding['rule']}@{finding['start']}-{finding['end']}"


def proofread_revision(revision: Revision) -> ProofreadReport:
    """Check a revision's title, summary and body (as one text, title first) and keep the findings."""
    checker, version = current_checker()
    findings = [f.as_dict() for f in checker.check(review_text(revision))]
    return ProofreadReport.objects.create(revision=revision, rules_version=version, findings=findings)


def review_text(revision: Revision) -> str:
    return "\n".join(part for part in (revision.title, revision.summary, revision.body_text) if part)


def latest_report(revision: Revision) -> ProofreadReport:
    report = revision.proofread_reports.first()
    return report if report is not None else proofread_revision(revision)


@dataclass(frozen=True)
class ReportView:
    report: ProofreadReport
    findings: list[dict]  # each with "key" and "overridden" (a reason or None)

    @property
    def blocking(self) -> list[dict]:
        return [f for f in self.findings if f["severity"] == "error" and not f["overridden"]]


CATEGORY_LABELS = {
    "typo": gettext_lazy("错别字"),
    "punctuation": gettext_lazy("标点"),
    "duplicate": gettext_lazy("重复"),
    "traditional": gettext_lazy("繁体字"),
    "pinyin": gettext_lazy("拼音残留"),
    "prohibited": gettext_lazy("禁用词"),
    "advert": gettext_lazy("广告用语"),
    "leader": gettext_lazy("领导职务与排序"),
    "number": gettext_lazy("数字与日期"),
    "length": gettext_lazy("超长"),
}
SEVERITY_LABELS = {"error": gettext_lazy("错误"), "warning": gettext_lazy("警告"), "info": gettext_lazy("提示")}


def report_view(report: ProofreadReport) -> ReportView:
    overrides = dict(report.overrides.values_list("finding_key", "reason"))
    findings = [
        {
            **f,
            "key": finding_key(f),
            "overridden": overrides.get(finding_key(f)),
            "category_label": str(CATEGORY_LABELS.get(f["category"], f["category"])),
            "severity_label": str(SEVERITY_LABELS.get(f["severity"], f["severity"])),
        }
        for f in report.findings
    ]
    return ReportView(report, findings)


def override_finding(actor: Actor, report: ProofreadReport, key: str, reason: str) -> FindingOverride:
    roles.require(actor.user, roles.REVIEW_ACT, _("只有审核人员可以保留校对错误。"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(FieldError("required", _("请填写保留此处的理由。"), "reason"))
    if key not in {finding_key(f) for f in report.findings}:
        raise NotFound(FieldError("finding_not_found", _("没有这条校对结果。"), "key"))
    with transaction.atomic():
        override, _created = FindingOverride.objects.update_or_create(
            report=report, finding_key=key, defaults={"reason": reason[:300], "user": actor.user}
        )
        audit.record(actor, "proofread.override", report.revision.story, {"finding": key, "reason": reason})
    return override


def apply_suggestion(text: str, finding: dict) -> str:
    """The text with one finding's suggestion put in place of what it matched."""
    if finding.get("suggestion") is None or text[finding["start"] : finding["end"]] != finding["text"]:
        raise ValidationFailed(FieldError("stale_finding", _("正文已变化，请重新校对后再采纳。"), "key"))
    return text[: finding["start"]] + finding["suggestion"] + text[finding["end"] :]


# --- rule lists as data ---------------------------------------------------------------------------------


def listed_rules(category: str = "", term: str = "") -> QuerySet[ProofRule]:
    """The rules of `category` (all of them for a category that does not exist) whose term contains `term`."""
    listed = ProofRule.objects.all()
    if category in CATEGORIES:
        listed = listed.filter(category=category)
    return listed.filter(term__contains=term) if term else listed


def _require_admin(actor: Actor) -> None:
    roles.require(actor.user, roles.RULES_EDIT, _("只有管理员可以修改校对规则。"))


def _snapshot(rule: ProofRule) -> dict:
    return {
        "suggestion": rule.suggestion,
        "severity": rule.severity,
        "source": rule.source,
        "note": rule.note,
        "enabled": rule.enabled,
    }


def save_rule(actor: Actor, data: dict, rule: ProofRule | None = None) -> ProofRule:
    _require_admin(actor)
    try:
        parsed = parse_rules(
            "category,term,suggestion,severity,source,note\n"
            + _csv_line(
                [
                    data.get("category", ""),
                    data.get("term", ""),
                    data.get("suggestion", ""),
                    data.get("severity", ""),
                    data.get("source", ""),
                    data.get("note", ""),
                ]
            ),
            "form",
        )[0]
    except RuleError as error:
        raise ValidationFailed(FieldError("invalid_rule", str(error).split(": ", 1)[-1], "term")) from error
    if not parsed.source:
        raise ValidationFailed(FieldError("required", _("请注明规则来源。"), "source"))
    clash = ProofRule.objects.filter(category=parsed.category, term=parsed.term).exclude(pk=getattr(rule, "pk", None))
    if clash.exists():
        raise ValidationFailed(FieldError("duplicate_rule", _("同类别下已有这个词语。"), "term"))
    with transaction.atomic():
        before = _snapshot(rule) if rule else None
        rule = rule or ProofRule()
        for field in ("category", "term", "suggestion", "severity", "source", "note"):
            setattr(rule, field, getattr(parsed, field))
        rule.enabled = bool(data.get("enabled", True))
        rule.updated_at = timezone.now()
        rule.version = rule.version + 1 if before else 1
        rule.save()
        ProofRuleChange.objects.create(
            rule_key=str(rule),
            action="change" if before else "add",
            before=before,
            after=_snapshot(rule),
            user=actor.user,
        )
        audit.record(actor, "rules.change" if before else "rules.add", rule)
    return rule


def delete_rule(actor: Actor, rule: ProofRule) -> None:
    _require_admin(actor)
    with transaction.atomic():
        ProofRuleChange.objects.create(rule_key=str(rule), action="delete", before=_snapshot(rule), user=actor.user)
        audit.record(actor, "rules.delete", rule)
        rule.delete()


def _csv_line(cells: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue()


def export_rules_csv(actor: Actor) -> str:
    """The enabled rules as CSV, for staff with the rules capability only (the list is sensitive)."""
    roles.require(actor.user, roles.RULES_VIEW, _("您没有查看校对规则的权限。"))
    audit.record_download(actor, None, "tongpin-rules.csv", object_type="review.proofrule")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["category", "term", "suggestion", "severity", "source", "note"])
    for r in ProofRule.objects.filter(enabled=True):
        writer.writerow([r.category, r.term, r.suggestion, r.severity, r.source, r.note])
    return out.getvalue()


def import_rules_csv(actor: Actor, text: str, name: str = "upload.csv") -> int:
    """Add or update every rule in the file; a broken file changes nothing (the error names the line)."""
    _require_admin(actor)
    try:
        rules = parse_rules(text, name)
    except RuleError as error:
        raise ValidationFailed(FieldError("invalid_rule_file", str(error), "file")) from error
    with transaction.atomic():
        for parsed in rules:
            rule = ProofRule.objects.filter(category=parsed.category, term=parsed.term).first()
            before = _snapshot(rule) if rule else None
            rule = rule or ProofRule(category=parsed.category, term=parsed.term)
            rule.suggestion, rule.severity, rule.source, rule.note = (
                parsed.suggestion,
                parsed.severity,
                parsed.source,
                parsed.note,
            )
            rule.enabled, rule.updated_at = True, timezone.now()
            rule.version = rule.version + 1 if before else 1
            rule.save()
            ProofRuleChange.objects.create(
                rule_key=str(rule), action="import", before=before, after=_snapshot(rule), user=actor.user
            )
        audit.record(actor, "rules.import", object_type="review.proofrule", changes={"file": name, "rules": len(rules)})
    return len(rules)


def import_roster_csv(actor: Actor, text: str, name: str = "roster.csv") -> int:
    """Replace the roster with the file's; a broken file changes nothing."""
    _require_admin(actor)
    try:
        leaders = parse_roster(text, name)
    except RuleError as error:
        raise ValidationFailed(FieldError("invalid_roster_file", str(error), "file")) from error
    with transaction.atomic():
        RosterEntry.objects.all().delete()
        RosterEntry.objects.bulk_create(
            [
                RosterEntry(name=p.name, title=p.title, rank=p.rank, former_titles="|".join(p.former_titles))
                for p in leaders
            ]
        )
        ProofRuleChange.objects.create(
            rule_key="roster", action="import", after={"people": len(leaders)}, user=actor.user
        )
        audit.record(
            actor, "roster.import", object_type="review.rosterentry", changes={"file": name, "people": len(leaders)}
        )
    return len(leaders)


def check_text(text: str, max_chars: int | None = None, strict_advert: bool = False) -> list[Finding]:
    return current_checker()[0].check(text, max_chars=max_chars, strict_advert=strict_advert)
