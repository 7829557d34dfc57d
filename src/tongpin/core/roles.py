"""Roles (DESIGN.md) and what each may do.

Capabilities are plain strings checked with `can()`; a role's set is the whole truth, so a new capability
is added here once and granted explicitly. Partner scoping (what a liaison may see) lives in
`tongpin.partners.scope`, because it needs the partner a user belongs to.
"""

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .errors import FieldError, Forbidden


class Role(models.TextChoices):
    REPORTER = "reporter", _("记者")
    EDITOR = "editor", _("编辑")
    DESK_CHIEF = "desk_chief", _("部门主任")
    CHIEF_EDITOR = "chief_editor", _("总编辑")
    DUTY_OFFICER = "duty_officer", _("值班员")
    ANCHOR = "anchor", _("主播")
    PARTNER_LIAISON = "partner_liaison", _("合作方联络员")
    ALERT_SENDER = "alert_sender", _("预警发布单位")
    # 三员分立 (docs/security.md): three separated administrators; no account ever holds two of them.
    ADMIN = "admin", _("系统管理员")  # accounts, channels, settings, the station's business data; not the audit log
    SECURITY_ADMIN = "security_admin", _("安全管理员")  # roles, security policies, keys, second-factor resets
    AUDIT_ADMIN = "audit_admin", _("审计管理员")  # reads and exports the audit log; changes nothing


STORY_VIEW = "story.view"
STORY_CREATE = "story.create"
STORY_EDIT_OWN = "story.edit_own"
STORY_EDIT_ANY = "story.edit_any"
STORY_HISTORY = "story.history"
ASSET_UPLOAD = "asset.upload"
AUDIT_VIEW = "audit.view"
SEARCH_REINDEX = "search.reindex"
STORY_SUBMIT = "story.submit"
REVIEW_ACT = "review.act"
RULES_EDIT = "rules.edit"
# Reading the rule lists (the sensitive-word list among them): reviewers and admins, nobody else.
RULES_VIEW = "rules.view"
PROOFREAD = "proofread.check"  # proofreading any text (not stored): people who write or review
STORY_FLAG = "story.flag"
STORY_WITHDRAW = "story.withdraw"
CHANNEL_MANAGE = "channel.manage"
PUBLISH = "publish.release"
RENDITION_EDIT = "publish.edit_rendition"
DELIVERY_VIEW = "delivery.view"
DELIVERY_OPERATE = "delivery.operate"
ALERT_SUBMIT = "alert.submit"
ALERT_VIEW = "alert.view"
ALERT_DECIDE = "alert.decide"
ALERT_POLICY = "alert.policy"
PARTNER_VIEW = "partner.view"
PARTNER_MANAGE = "partner.manage"
LIAISON_RECORD = "partner.liaison_record"
REQUEST_SUBMIT = "request.submit"
REQUEST_HANDLE = "request.handle"
PLAN_VIEW = "plan.view"
PLAN_MANAGE = "plan.manage"
TOPIC_PROPOSE = "topic.propose"
TOPIC_APPROVE = "topic.approve"
METRICS_VIEW = "metrics.view"
METRICS_IMPORT = "metrics.import"
REPORT_MANAGE = "report.manage"
LIVE_VIEW = "live.view"
LIVE_MANAGE = "live.manage"
LIVE_SIGNOFF = "live.signoff"
SYSTEM_STATUS = "system.status"  # the status page (系统状态) and GET /api/v1/status
BACKUP_VIEW = "system.backups"  # the backups page (备份)
# 三员分立: what each separated administrator alone may do.
USER_MANAGE = "user.manage"  # accounts: create, names, stations, deactivate (system administrator)
ROLE_ASSIGN = "role.assign"  # give an account its role (security administrator)
SECURITY_POLICY = "security.policy"  # sign-in, password, session and second-factor policies
KEY_MANAGE = "security.keys"  # keys and certificates
TWO_FACTOR_RESET = "security.reset_2fa"  # reset someone's second factor
AUDIT_EXPORT = "audit.export"  # export the audit log for the off-box archive; verify the chain
# Being given an assignment (派单的承接人): newsroom people, never the 三员 administrators, who do no newsroom work.
ASSIGNMENT_TAKE = "assignment.take"

_PLANNER = {PARTNER_VIEW, PLAN_VIEW, TOPIC_PROPOSE, LIVE_VIEW}
_WRITER = {STORY_VIEW, STORY_CREATE, STORY_EDIT_OWN, STORY_HISTORY, ASSET_UPLOAD, STORY_SUBMIT, STORY_FLAG, PROOFREAD}
_WRITER |= _PLANNER | {ASSIGNMENT_TAKE}
_EDITOR = _WRITER | {STORY_EDIT_ANY, REVIEW_ACT, RULES_VIEW, RENDITION_EDIT, DELIVERY_VIEW}
_EDITOR |= {LIAISON_RECORD, REQUEST_SUBMIT, REQUEST_HANDLE, PLAN_MANAGE, METRICS_VIEW, METRICS_IMPORT, LIVE_MANAGE}
_RELEASER = _EDITOR | {PUBLISH, DELIVERY_OPERATE, PARTNER_MANAGE, TOPIC_APPROVE, REPORT_MANAGE, LIVE_SIGNOFF}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.REPORTER: frozenset(_WRITER),
    Role.ANCHOR: frozenset(_WRITER),
    Role.EDITOR: frozenset(_EDITOR),
    Role.DESK_CHIEF: frozenset(_RELEASER | {ALERT_VIEW}),
    Role.CHIEF_EDITOR: frozenset(_RELEASER | {STORY_WITHDRAW, ALERT_VIEW}),
    Role.DUTY_OFFICER: frozenset(
        {STORY_VIEW, STORY_HISTORY, STORY_FLAG, DELIVERY_VIEW, DELIVERY_OPERATE, ALERT_SUBMIT, ALERT_VIEW, ALERT_DECIDE}
        | {SYSTEM_STATUS, ASSIGNMENT_TAKE}
        | _PLANNER
    ),
    Role.ALERT_SENDER: frozenset({ALERT_SUBMIT}),
    # A liaison sees their own partner only (tongpin.partners.scope) and may file publicity requests for it.
    Role.PARTNER_LIAISON: frozenset({STORY_VIEW, PARTNER_VIEW, REQUEST_SUBMIT}),
    # The system administrator (the station's admin): everything of the station's business, accounts and
    # channels; not the audit log (the audit administrator's) and not roles or security policies (the security
    # administrator's).
    Role.ADMIN: frozenset(
        (_RELEASER - {ASSIGNMENT_TAKE})
        | {SEARCH_REINDEX, RULES_EDIT, STORY_WITHDRAW, CHANNEL_MANAGE, USER_MANAGE, BACKUP_VIEW}
        | {ALERT_SUBMIT, ALERT_VIEW, ALERT_DECIDE, ALERT_POLICY, SYSTEM_STATUS}
    ),
    Role.SECURITY_ADMIN: frozenset({ROLE_ASSIGN, SECURITY_POLICY, KEY_MANAGE, TWO_FACTOR_RESET}),
    Role.AUDIT_ADMIN: frozenset({AUDIT_VIEW, AUDIT_EXPORT}),
}

# 三员分立: the three separated administrator roles. An account holds at most one of them in its life
# (`User.duty_role` remembers it; `core.accounts.assign_role` refuses another), and a break-glass superuser none.
SEPARATED_ROLES = frozenset({Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})

# What of Django's admin site each role reaches (`User.has_perm`): app labels or "app.model", with the actions.
# Superusers (break-glass only) reach everything. The audit log and its anchors are in nobody's list.
ADMIN_SITE: dict[str, dict[str, frozenset[str]]] = {
    Role.ADMIN: {
        "*": frozenset({"view", "add", "change", "delete"}),
        "core.auditevent": frozenset(),
        "core.auditanchor": frozenset(),
        "axes": frozenset(),  # sign-in lock-outs: the security administrator's
    },
    Role.SECURITY_ADMIN: {
        "core.user": frozenset({"view", "change"}),
        "core.apitoken": frozenset({"view", "add", "change", "delete"}),
        "axes": frozenset({"view", "delete"}),
    },
}


def admin_site_allows(role: str, app_label: str, model: str = "", action: str = "") -> bool:
    """May `role` use Django's admin for `app_label` (and `model`, `action`: view/add/change/delete)?"""
    rules = ADMIN_SITE.get(role)
    if not rules:
        return False
    if not model:
        return any(key.partition(".")[0] == app_label and granted for key, granted in rules.items()) or (
            "*" in rules and rules.get(app_label, rules["*"]) != frozenset()
        )
    for key in (f"{app_label}.{model}", app_label, "*"):
        if key in rules:
            return action in rules[key]
    return False


# Machine accounts: they speak to the API only (no web sign-in) and only to the endpoints that declare they
# accept them (`core.api_auth.MACHINE_AUTH`); every other endpoint refuses them before its handler runs.
MACHINE_ROLES = frozenset({Role.ALERT_SENDER})
# Station staff see every partner's data (`partners.scope`); any other role sees only what it is given.
STATION_STAFF = frozenset(
    {Role.REPORTER, Role.EDITOR, Role.DESK_CHIEF, Role.CHIEF_EDITOR, Role.DUTY_OFFICER, Role.ANCHOR, Role.ADMIN}
)


def roles_with(capability: str) -> list[str]:
    """The roles that grant `capability`."""
    return [role for role, granted in CAPABILITIES.items() if capability in granted]


def can(user, capability: str) -> bool:
    """True when an active, signed-in user's role grants the capability."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return capability in CAPABILITIES.get(user.role, frozenset())


def work_refusal(person) -> str | None:
    """Why `person` may not be given work — take an assignment, own a campaign, a task, a partner or a to-do — as
    an error code, or None when they may: an account that has left (`inactive_user`), a 三员 administrator, who does
    no newsroom work (`not_assignable`), anyone else without assignment.take (`not_staff`). The people it lets
    through are those `partners.forms.staff_users` offers."""
    if not person.is_active:
        return "inactive_user"
    if can(person, ASSIGNMENT_TAKE):
        return None
    return "not_assignable" if person.role in SEPARATED_ROLES else "not_staff"


def require(user, capability: str, message: str | None = None) -> None:
    """Refuse (403 `forbidden`) a caller whose role lacks the capability: the one check services make before a
    write (docs/architecture.md, "403 or 404")."""
    if not can(user, capability):
        raise Forbidden(FieldError("forbidden", message or gettext("您没有执行此操作的权限。")))


def require_any(user, *capabilities: str) -> None:
    """Refuse (403) a caller holding none of the capabilities: for endpoints whose lists would otherwise just
    come back empty, so that what each endpoint demands is stated and checked."""
    if not any(can(user, capability) for capability in capabilities):
        raise Forbidden(FieldError("forbidden", gettext("没有权限。")))
