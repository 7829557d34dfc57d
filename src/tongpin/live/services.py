"""Live-commerce rules: who may host (age, guardian consent, qualifications in date), products whose documents
are in date, no anchor or studio booked twice, the compliance check and its named sign-off before going live,
results with the figures derived from them. Every refusal names what is wrong; nothing is half-saved."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongpin.core import records, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from tongpin.core.files import check_upload
from tongpin.core.notify import notify
from tongpin.partners.scope import scoped_get

from .models import (
    Anchor,
    LiveSession,
    Product,
    ProductDocument,
    Qualification,
    SessionHost,
    SessionProduct,
    SessionResult,
    SessionStatus,
    percent,
)

EXPIRY_WARNING_DAYS = 30
MIN_AGE, ADULT_AGE = 16, 18
ACTIVE = [SessionStatus.PLANNED, SessionStatus.REHEARSED, SessionStatus.LIVE]



def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# -- roster and products -------------------------------------------------------------------------------------


def save_anchor(actor: Actor, values: dict[str, Any], anchor: Anchor | None = None) -> Anchor:
    roles.require(actor.user, roles.LIVE_MANAGE)
    anchor = anchor or Anchor()
    changes = records.apply(anchor, values)
    errors = []
    if anchor.birth_date and age_on(anchor.birth_date, timezone.localdate()) < MIN_AGE:
        errors.append(FieldError("under_age", _("主播须年满 16 周岁。"), "birth_date"))
    records.check(anchor, errors)
    return records.save(actor, anchor, changes, "live.anchor")


def save_qualification(actor: Actor, anchor: Anchor, values: dict[str, Any]) -> Qualification:
    roles.require(actor.user, roles.LIVE_MANAGE)
    qualification = Qualification(anchor=anchor)
    if values.get("document") and hasattr(values["document"], "read"):
        check_upload(values["document"], location="document")
    changes = records.apply(qualification, values)
    records.check(qualification, exclude=["document"])
    return records.save(actor, qualification, changes, "live.qualification")


def add_document(actor: Actor, product: Product, values: dict[str, Any]) -> ProductDocument:
    """A licence, inspection report or permit of a product: the compliance check reads them before a session
    may be signed off and go live, so they are checked, saved and audited like every other record."""
    roles.require(actor.user, roles.LIVE_MANAGE)
    document = ProductDocument(product=product)
    if values.get("file") and hasattr(values["file"], "read"):
        check_upload(values["file"], location="file")
    changes = records.apply(document, {name: value for name, value in values.items() if value or name != "file"})
    records.check(document, exclude=["file"])
    return records.save(actor, document, changes, "live.document")


def documents_in_force(documents) -> dict[str, ProductDocument]:
    """Per kind, the document that counts: the one valid longest (a renewed inspection report replaces the expired
    one without anyone deleting it; the older stays on record)."""
    latest: dict[str, ProductDocument] = {}
    for document in documents:
        held = latest.get(document.kind)
        if held is None or (document.expires_on, document.pk) > (held.expires_on, held.pk):
            latest[document.kind] = document
    return latest


def documents_marked(documents) -> list[tuple[ProductDocument, bool]]:
    """Each document with whether it is the one in force for its kind (the product page and the API list both)."""
    documents = list(documents)
    in_force = {d.pk for d in documents_in_force(documents).values()}
    return [(d, d.pk in in_force) for d in documents]


def remove_document(actor: Actor, product: Product, document_id: int) -> None:
    """Take a document off a product (entered by mistake, or withdrawn by the enterprise); audited."""
    roles.require(actor.user, roles.LIVE_MANAGE)
    document = product.documents.filter(pk=document_id).first()
    if document is None:
        raise NotFound(FieldError("not_found", _("资质文件不存在。"), "document"))
    with transaction.atomic():
        records.delete(actor, document, "live.document.delete")
        if document.file:
            transaction.on_commit(lambda: document.file.delete(save=False))


def save_product(actor: Actor, values: dict[str, Any], product: Product | None = None) -> Product:
    roles.require(actor.user, roles.LIVE_MANAGE)
    product = product or Product()
    image = values.get("image")
    if image and hasattr(image, "read"):
        check_upload(image, {"image/jpeg", "image/png", "image/webp"}, location="image")
    changes = records.apply(product, values)
    errors = []
    if product.price is not None and product.price < 0:
        errors.append(FieldError("negative", _("价格不能为负。"), "price"))
    if product.partner_id and product.partner.kind != "enterprise":
        errors.append(FieldError("not_enterprise", _("商品须属于企业类合作方。"), "partner"))
    records.check(product, errors, exclude=["image"])
    return records.save(actor, product, changes, "live.product")


# -- sessions ------------------------------------------------------------------------------------------------


def _overlapping(session: LiveSession) -> QuerySet[LiveSession]:
    return LiveSession.objects.filter(
        status__in=ACTIVE, starts_at__lt=session.ends_at, ends_at__gt=session.starts_at
    ).exclude(pk=session.pk)


def booking_errors(session: LiveSession, anchors: list[Anchor]) -> list[FieldError]:
    """An anchor or a studio booked twice at the same time."""
    errors = []
    clashes = _overlapping(session)
    if session.studio_id:
        other = clashes.filter(studio_id=session.studio_id).first()
        if other:
            errors.append(FieldError("studio_booked", _("直播间“%(s)s”在该时段已被“%(o)s”占用。")
                                     % {"s": session.studio, "o": other.title}, "studio"))  # fmt: skip
    busy = SessionHost.objects.filter(session__in=clashes, anchor__in=anchors).select_related("anchor", "session")
    for booking in busy:
        errors.append(FieldError("anchor_booked", _("主播 %(a)s 在该时段已有直播“%(o)s”。")
                                 % {"a": booking.anchor, "o": booking.session.title}, "hosts"))  # fmt: skip
    return errors


def assignment_clashes(sessions: list[LiveSession]) -> dict[int, list[str]]:
    """Per session: the planning assignments that book one of its hosts (through the anchor's login) in its time
    slot. Shown as conflicts, never refused — planning's own rule for double bookings: the desk may still move the
    shoot, and an anchor without a login cannot be assigned anything. One read for a whole list of sessions."""
    from tongpin.planning.models import Assignment
    from tongpin.planning.services import LIVE_ASSIGNMENTS

    active = [s for s in sessions if s.status in ACTIVE and s.starts_at and s.ends_at]
    if not active:
        return {}
    hosts = SessionHost.objects.filter(session__in=active, anchor__user__isnull=False).select_related("anchor")
    by_session: dict[int, list[Anchor]] = {}
    for host in hosts:
        by_session.setdefault(host.session_id, []).append(host.anchor)
    bookings = Assignment.objects.filter(
        assignee_id__in={a.user_id for anchors in by_session.values() for a in anchors},
        state__in=LIVE_ASSIGNMENTS,
        starts_at__lt=max(s.ends_at for s in active),
        ends_at__gt=min(s.starts_at for s in active),
    ).select_related("topic")
    bookings = list(bookings.order_by("starts_at", "id"))
    found: dict[int, list[str]] = {}
    for session in active:
        for anchor in by_session.get(session.pk, []):
            mine = [b for b in bookings if b.assignee_id == anchor.user_id]
            for booking in mine:
                if booking.starts_at < session.ends_at and booking.ends_at > session.starts_at:
                    found.setdefault(session.pk, []).append(_clash_text(anchor, booking))
    return found


def session_bookings(assignments: list) -> list[list]:
    """Planning's other side (registered with `planning.services.register_booking_source`): per assignment, the
    live sessions its assignee hosts (through the anchor's login) in its booked window, as planning conflicts
    (`live_booked`) — shown where the assignment is saved and listed, never refused. One read for a whole list."""
    from tongpin.planning.services import LIVE_ASSIGNMENTS, PlanConflict

    booked = [a for a in assignments if a.starts_at and a.ends_at and a.state in LIVE_ASSIGNMENTS]
    found: list[list] = [[] for _assignment in assignments]
    if not booked:
        return found
    hosts = SessionHost.objects.filter(
        anchor__user_id__in={a.assignee_id for a in booked},
        session__status__in=ACTIVE,
        session__starts_at__lt=max(a.ends_at for a in booked),
        session__ends_at__gt=min(a.starts_at for a in booked),
    ).select_related("session", "anchor")
    hosts = sorted(hosts, key=lambda h: (h.session.starts_at, h.session_id))
    for index, assignment in enumerate(assignments):
        if assignment not in booked:
            continue
        for host in hosts:
            session = host.session
            if host.anchor.user_id == assignment.assignee_id and (
                session.starts_at < assignment.ends_at and session.ends_at > assignment.starts_at
            ):
                found[index].append(PlanConflict("live_booked", _session_text(host.anchor, session)))
    return found


def _window(starts_at: dt.datetime, ends_at: dt.datetime) -> dict[str, str]:
    """A time window as the clash messages say it: 12-07 14:00 — 17:00 (the end's day only when it differs)."""
    starts, ends = timezone.localtime(starts_at), timezone.localtime(ends_at)
    until = ends.strftime("%H:%M" if ends.date() == starts.date() else "%m-%d %H:%M")
    return {"s": starts.strftime("%m-%d %H:%M"), "e": until}


def _session_text(anchor: Anchor, session: LiveSession) -> str:
    window = _window(session.starts_at, session.ends_at)
    return _("%(a)s 在 %(s)s—%(e)s 主持直播“%(t)s”。") % {"a": anchor, **window, "t": session.title}


def _clash_text(anchor: Anchor, booking) -> str:
    window = _window(booking.starts_at, booking.ends_at)
    return _("主播 %(a)s 在 %(s)s—%(e)s 已有派单“%(t)s”。") % {"a": anchor, **window, "t": booking.topic.title}


def host_errors(session: LiveSession, anchors: list[Anchor], products: list[Product]) -> list[FieldError]:
    """Age and consent on the session day; a qualification in date for every field the products touch."""
    errors = []
    day = timezone.localtime(session.starts_at).date()
    fields = {p.needs for p in products if p.needs}
    for anchor in anchors:
        age = age_on(anchor.birth_date, day)
        if age < MIN_AGE:
            errors.append(FieldError("under_age", _("%(a)s 未满 16 周岁，不能担任主播。") % {"a": anchor}, "hosts"))
        elif age < ADULT_AGE and not anchor.guardian_consent:
            errors.append(
                FieldError("needs_consent", _("%(a)s 未满 18 周岁，须有监护人同意书。") % {"a": anchor}, "hosts")
            )
        for field in fields:
            valid = anchor.qualifications.filter(field=field, expires_on__gte=day).exists()
            if not valid:
                label = dict(Product._meta.get_field("needs").choices)[field]
                errors.append(FieldError("unqualified", _("%(a)s 没有在有效期内的“%(f)s”资质。")
                                         % {"a": anchor, "f": label}, "hosts"))  # fmt: skip
    return errors


NIGHT_STARTS, NIGHT_ENDS = dt.time(22), dt.time(6)


def runs_at_night(session: LiveSession) -> bool:
    """Any part of the session between 22:00 and 6:00 local time (it may run past midnight)."""
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return (
        starts.date() != ends.date()
        or starts.time() >= NIGHT_STARTS
        or starts.time() < NIGHT_ENDS
        or ends.time() > NIGHT_STARTS
    )


def host_cautions(session: LiveSession, anchors: list[Anchor]) -> list[FieldError]:
    """Not refusals but what the person signing off should weigh: a minor host (16 to 18, with consent) on a
    session at night. A trial booked a 17-year-old for 22:30 to 00:30 and the check said nothing."""
    if not runs_at_night(session):
        return []
    day = timezone.localtime(session.starts_at).date()
    return [
        FieldError("minor_at_night", _("%(a)s 未满 18 周岁，本场在夜间（22:00 至次日 6:00）进行，请确认是否合适。")
                   % {"a": anchor}, "hosts")  # fmt: skip
        for anchor in anchors
        if MIN_AGE <= age_on(anchor.birth_date, day) < ADULT_AGE
    ]


def document_errors(session: LiveSession, products: list[Product]) -> list[FieldError]:
    day = timezone.localtime(session.starts_at).date()
    errors = []
    for product in products:
        documents = documents_in_force(product.documents.all()).values()
        if not documents:
            errors.append(FieldError("no_documents", _("商品“%(p)s”没有资质文件。") % {"p": product}, "products"))
        for document in documents:
            if document.expires_on < day:
                errors.append(FieldError("document_expired", _("商品“%(p)s”的%(k)s已于 %(d)s 过期。")
                                         % {"p": product, "k": document.get_kind_display(), "d": document.expires_on},
                                         "products"))  # fmt: skip
    return errors


def save_session(
    actor: Actor,
    values: dict[str, Any],
    hosts: list[tuple[Anchor, str]],
    lineup: list[dict],
    session: LiveSession | None = None,
) -> LiveSession:
    """Create or change a session with its hosts (anchor, role) and products in order
    ({"product", "minutes", "talking_points"}). Changing a signed-off session clears the sign-off."""
    roles.require(actor.user, roles.LIVE_MANAGE)
    session = session or LiveSession(created_by=actor.user)
    if session.pk and session.status not in (SessionStatus.PLANNED, SessionStatus.REHEARSED):
        raise Conflict(FieldError("not_editable", _("直播开始后不能再修改场次安排。")))
    changes = records.apply(session, values)
    anchors = [anchor for anchor, _role in hosts]
    products = [item["product"] for item in lineup]
    errors = []
    if session.starts_at and session.ends_at and session.ends_at <= session.starts_at:
        errors.append(FieldError("term_reversed", _("结束时间须晚于开始时间。"), "ends_at"))
    elif session.starts_at:
        errors += booking_errors(session, anchors)
        errors += host_errors(session, anchors, products)
    if not anchors:
        errors.append(FieldError("no_host", _("请至少安排一位主播。"), "hosts"))
    if any(p.partner_id != session.partner_id for p in products if session.partner_id):
        errors.append(FieldError("other_enterprise", _("商品须属于本场的企业。"), "products"))
    records.check(session, errors, exclude=["created_by", "signed_off_by"])
    with transaction.atomic():
        if session.signed_off_at:
            session.signed_off_at, session.signed_off_by = None, None
            changes["sign_off"] = ["signed", "cleared"]
        records.save(actor, session, changes, "live.session")
        session.hosts.all().delete()
        SessionHost.objects.bulk_create([SessionHost(session=session, anchor=a, role=r) for a, r in hosts])
        session.lineup.all().delete()
        SessionProduct.objects.bulk_create(
            [SessionProduct(session=session, position=i, product=item["product"], minutes=item.get("minutes") or 5,
                            talking_points=item.get("talking_points", "")) for i, item in enumerate(lineup, start=1)]
        )  # fmt: skip
    return session


def run_sheet(session: LiveSession) -> list[dict]:
    """The run sheet (流程单): opening, each product in order with its time slot and talking points, closing."""
    moment = timezone.localtime(session.starts_at)
    rows = [{"at": moment, "item": _("开场、介绍企业与主播"), "minutes": 5, "notes": ""}]
    moment += dt.timedelta(minutes=5)
    for item in session.lineup.select_related("product"):
        notes = item.talking_points or item.product.claims
        rows.append({"at": moment, "item": f"{item.product.name}（¥{item.product.price}）", "minutes": item.minutes,
                     "notes": notes})  # fmt: skip
        moment += dt.timedelta(minutes=item.minutes)
    rows.append({"at": moment, "item": _("返场、答疑与结束"), "minutes": None, "notes": ""})
    return rows


def compliance_text(session: LiveSession) -> str:
    """What is said and claimed: the script, then every product's claims and talking points."""
    parts = [session.script]
    for item in session.lineup.select_related("product"):
        parts += [item.product.name, item.product.claims, item.talking_points]
    return "\n".join(p for p in parts if p)


def compliance_check(session: LiveSession) -> dict:
    """Advert-law terms are errors here (strict), plus the hosts' and documents' rules on the session day."""
    from tongpin.review.proofing import check_text

    text = compliance_text(session)
    findings = [
        {
            "code": f.category,
            "text": f.text,
            "message": f.message or _("广告中不得使用的用语"),
            "suggestion": f.suggestion,
            "severity": str(f.severity),
            "start": f.start,
        }
        for f in check_text(text, strict_advert=True)
    ]
    anchors = [h.anchor for h in session.hosts.select_related("anchor")]
    products = [i.product for i in session.lineup.select_related("product")]
    problems = [e.as_dict() for e in host_errors(session, anchors, products) + document_errors(session, products)]
    blocking = [f for f in findings if f["severity"] == "error"] + problems
    cautions = [e.as_dict() for e in host_cautions(session, anchors)]
    return {"text": text, "findings": findings, "problems": problems, "cautions": cautions, "passed": not blocking}


def changed_since_sign_off(session: LiveSession) -> bool:
    """Whether the script or a product's claims changed after the sign-off: it no longer covers what will be said
    (the session may not go live until someone signs again)."""
    return session.signed_off_at is not None and compliance_text(session) != session.checked_text


def sign_off(actor: Actor, session: LiveSession) -> LiveSession:
    """A named person signs off the checked text; refused while anything blocks. The text and findings are kept."""
    roles.require(actor.user, roles.LIVE_SIGNOFF)
    with transaction.atomic():
        session = LiveSession.objects.select_for_update().get(pk=session.pk)
        if session.status not in (SessionStatus.PLANNED, SessionStatus.REHEARSED):
            raise Conflict(FieldError("not_editable", _("该场次已开始或结束。")))
        result = compliance_check(session)
        if not result["passed"]:
            blocking = [f"{f['text']}：{f['message']}" for f in result["findings"] if f["severity"] == "error"]
            blocking += [p["message"] for p in result["problems"]]
            raise ValidationFailed([FieldError("not_compliant", m, "script") for m in blocking[:20]])
        changes = records.apply(
            session,
            {"signed_off_by": actor.user, "signed_off_at": timezone.now(), "checked_text": result["text"],
             "checked_findings": result["findings"]},
        )  # fmt: skip
        records.save(actor, session, {k: v for k, v in changes.items() if k != "checked_text"}, "live.sign_off")
    return session


# what the button that makes each move says (lazy: translated when shown, in the reader's language)
MOVE_LABELS = {
    SessionStatus.REHEARSED: gettext_lazy("标记已彩排"),
    SessionStatus.LIVE: gettext_lazy("开播"),
    SessionStatus.REVIEWED: gettext_lazy("复盘完成"),
    SessionStatus.CANCELLED: gettext_lazy("取消场次"),
}

MOVES = {
    SessionStatus.PLANNED: {SessionStatus.REHEARSED, SessionStatus.LIVE, SessionStatus.CANCELLED},
    SessionStatus.REHEARSED: {SessionStatus.LIVE, SessionStatus.CANCELLED},
    SessionStatus.LIVE: {SessionStatus.REVIEWED},
}


# Going live up to half an hour before the slot is the usual warm-up (预热); earlier than that is more likely the
# wrong session than a moved one, so it needs the producer's explicit confirmation (and is noted in the audit).
EARLY_START_ALLOWED = dt.timedelta(minutes=30)


def early_by(session: LiveSession, now: dt.datetime | None = None) -> dt.timedelta | None:
    """How long before its slot the session would go live now, when that is more than the usual warm-up."""
    lead = session.starts_at - (now or timezone.now())
    return lead if lead > EARLY_START_ALLOWED else None


def lead_text(lead: dt.timedelta) -> str:
    """A lead time as people say it: 3 小时 20 分钟, 2 天 4 小时."""
    minutes = int(lead.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return _("%(d)d 天 %(h)d 小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d 小时 %(m)d 分钟") % {"h": hours, "m": minutes}
    return _("%(m)d 分钟") % {"m": minutes}


def move_session(actor: Actor, session: LiveSession, status: str, confirm_early: bool = False) -> LiveSession:
    """Change a session's status. Going live more than EARLY_START_ALLOWED before the slot is refused (409
    `too_early`, saying by how much) unless `confirm_early`."""
    roles.require(actor.user, roles.LIVE_MANAGE)
    with transaction.atomic():
        session = LiveSession.objects.select_for_update().get(pk=session.pk)
        if status not in MOVES.get(session.status, set()):
            raise Conflict(FieldError("invalid_transition", _("场次当前为“%(s)s”，不能改为该状态。")
                                      % {"s": session.get_status_display()}))  # fmt: skip
        early = early_by(session) if status == SessionStatus.LIVE else None
        if status == SessionStatus.LIVE:
            if session.signed_off_at is None:
                raise Conflict(FieldError("not_signed_off", _("开播前须通过合规审核并由审核人签字。")))
            if changed_since_sign_off(session):
                raise Conflict(FieldError("changed_since_sign_off", _("脚本或商品说明在审核后有改动，请重新审核。")))
            if early and not confirm_early:
                when = timezone.localtime(session.starts_at).strftime("%m-%d %H:%M")
                message = _("本场计划于 %(t)s 开播，现在开播将提前 %(d)s。"
                            "提前 30 分钟以上开播须确认；如已改期，请先修改开播时间。")
                raise Conflict(FieldError("too_early", message % {"t": when, "d": lead_text(early)}))
        changes = records.apply(session, {"status": status})
        if status == SessionStatus.LIVE and early:
            changes["early_minutes"] = int(early.total_seconds() // 60)
        records.save(actor, session, changes, "live.status")
    return session


def delete_session(actor: Actor, session: LiveSession) -> None:
    roles.require(actor.user, roles.LIVE_MANAGE)
    if SessionResult.objects.filter(session=session).exists():
        raise Conflict(FieldError("has_results", _("已有直播数据的场次须保留（至少 3 年），不能删除；可改为取消。")))
    records.delete(actor, session, "live.session_delete")


# -- results -------------------------------------------------------------------------------------------------


RESULT_FIELDS = ("viewers", "peak_concurrent", "avg_watch_seconds", "orders", "gmv", "refunds")


def result_errors(values: dict[str, Any]) -> list[FieldError]:
    errors = []
    for name in RESULT_FIELDS:
        value = values.get(name)
        if value is None:
            errors.append(FieldError("required", _("缺少“%(f)s”。") % {"f": name}, name))
        elif value < 0:
            errors.append(FieldError("negative", _("“%(f)s”不能为负。") % {"f": name}, name))
    if not errors:
        if values["peak_concurrent"] > values["viewers"]:
            errors.append(FieldError("inconsistent", _("最高在线不能多于观看人数。"), "peak_concurrent"))
        if values["refunds"] > values["gmv"]:
            errors.append(FieldError("inconsistent", _("退款额不能多于成交额。"), "refunds"))
    return errors


def record_result(actor: Actor, session: LiveSession, values: dict[str, Any], source: str = "manual") -> SessionResult:
    roles.require(actor.user, roles.LIVE_MANAGE)
    session.refresh_from_db(fields=["status"])
    if session.status not in (SessionStatus.LIVE, SessionStatus.REVIEWED):
        raise Conflict(FieldError("not_live", _("直播开始后才能录入数据。")))
    errors = result_errors(values)
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        result, _created = SessionResult.objects.update_or_create(
            session=session, defaults={**{k: values[k] for k in RESULT_FIELDS}, "source": source[:60]}
        )
        records.save(actor, session, {"result": [None, {k: str(values[k]) for k in RESULT_FIELDS}]}, "live.result")
        if session.status == SessionStatus.LIVE:
            LiveSession.objects.filter(pk=session.pk).update(status=SessionStatus.REVIEWED)
    return result


def sales(partner=None, anchor=None, first: dt.date | None = None, last: dt.date | None = None) -> list[dict]:
    """Per-month sales of reviewed sessions (net GMV, orders, viewers, GPM, conversion) for an enterprise or an
    anchor."""
    sessions = LiveSession.objects.filter(result__isnull=False).select_related("result")
    if partner is not None:
        sessions = sessions.filter(partner=partner)
    if anchor is not None:
        sessions = sessions.filter(hosts__anchor=anchor)
    if first:
        sessions = sessions.filter(starts_at__date__gte=first)
    if last:
        sessions = sessions.filter(starts_at__date__lte=last)
    months: dict[str, dict] = {}
    for session in sessions.distinct():
        key = timezone.localtime(session.starts_at).strftime("%Y-%m")
        row = months.setdefault(key, {"month": key, "sessions": 0, "net_gmv": Decimal(0), "orders": 0, "viewers": 0})
        row["sessions"] += 1
        row["net_gmv"] += session.result.net_gmv
        row["orders"] += session.result.orders
        row["viewers"] += session.result.viewers
    for row in months.values():
        row["gpm"] = round(row["net_gmv"] * 1000 / row["viewers"], 2) if row["viewers"] else 0
        row["conversion_percent"] = percent(row["orders"], row["viewers"])
    return [months[k] for k in sorted(months)]


def get_session(user, session_id: int) -> LiveSession:
    rows = LiveSession.objects.select_related("partner", "studio")
    return scoped_get(user, rows, session_id, _("直播场次不存在。"), capability=roles.LIVE_VIEW)


def get_anchor(user, anchor_id: int) -> Anchor:
    """Live commerce is the station's: whoever lacks live.view is answered 404 for its rows."""
    return scoped_get(user, Anchor, anchor_id, _("主播不存在。"), partner=None, capability=roles.LIVE_VIEW)


def get_product(user, product_id: int) -> Product:
    rows = Product.objects.select_related("partner")
    return scoped_get(user, rows, product_id, _("商品不存在。"), capability=roles.LIVE_VIEW)


# -- hooks for other apps ------------------------------------------------------------------------------------


def sessions_measure(commitment, first: dt.date, last: dt.date):
    """Commitment measure: the partner's sessions held (live or reviewed) in the period."""
    from tongpin.partners.measures import Counted

    held = LiveSession.objects.filter(
        partner_id=commitment.agreement.partner_id,
        status__in=[SessionStatus.LIVE, SessionStatus.REVIEWED],
        starts_at__date__gte=first,
        starts_at__date__lte=last,
    )
    return [Counted(f"live:{s.pk}", s.title, timezone.localtime(s.starts_at).date(), f"/live/sessions/{s.pk}/",
                    frozenset({s.get_platform_display()}), capability=roles.LIVE_VIEW) for s in held]  # fmt: skip


def calendar_entries(user, first: dt.date, last: dt.date, person=None, campaign=None) -> list:
    from tongpin.planning.calendar import Entry

    if campaign is not None or not roles.can(user, roles.LIVE_VIEW):
        return []
    sessions = LiveSession.objects.filter(starts_at__date__lte=last, ends_at__date__gte=first).exclude(
        status=SessionStatus.CANCELLED
    )
    if person is not None:
        sessions = sessions.filter(hosts__anchor__user=person)
    sessions = list(sessions.distinct())
    clashes = assignment_clashes(sessions)  # the calendar's 冲突 box lists them with the assignments' own
    return [
        Entry(f"live-{s.pk}", "live", _("直播：%(t)s") % {"t": s.title}, timezone.localtime(s.starts_at).date(),
              timezone.localtime(s.ends_at).date(), f"/live/sessions/{s.pk}/", s.starts_at,
              tuple(clashes.get(s.pk, ())), until=s.ends_at)
        for s in sessions
    ]  # fmt: skip


def remind_expiring(days_ahead: int = EXPIRY_WARNING_DAYS) -> int:
    """Warn live managers once when a host's qualification will lapse within `days_ahead` days."""
    from tongpin.core.models import User

    horizon = timezone.localdate() + dt.timedelta(days=days_ahead)
    due = list(
        Qualification.objects.filter(expires_on__lte=horizon, reminded_at__isnull=True).select_related("anchor")[:200]
    )
    if not due:  # the usual case, every few seconds: no need to look at the users
        return 0
    managers = [u for u in User.objects.filter(is_active=True) if roles.can(u, roles.LIVE_SIGNOFF)]
    sent = 0
    for qualification in due:
        if Qualification.objects.filter(pk=qualification.pk, reminded_at__isnull=True).update(
            reminded_at=timezone.now()
        ):
            text = _("%(a)s 的%(f)s资质将于 %(d)s 到期。") % {
                "a": qualification.anchor,
                "f": qualification.get_field_display(),
                "d": qualification.expires_on,
            }
            sent += notify(managers, text, f"/live/anchors/{qualification.anchor_id}/")
    return sent
