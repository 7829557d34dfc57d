"""Partner isolation: which partners' data a user may see. Every list, page, export and search asks here."""

from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext

from tongpin.core.errors import FieldError, NotFound
from tongpin.core.roles import PARTNER_VIEW, STATION_STAFF, Role, can


@dataclass(frozen=True)
class PartnerScope:
    """`everything` for station staff; otherwise exactly the partner ids listed (possibly none)."""

    everything: bool
    partner_ids: frozenset[int] = frozenset()

    def allows(self, partner_id: int | None) -> bool:
        return self.everything or (partner_id is not None and partner_id in self.partner_ids)

    def filter(self, field: str = "partner") -> Q:
        """A Q that keeps rows whose `field` is a partner in scope (all rows for staff)."""
        if self.everything:
            return Q()
        return Q(**{f"{field}__in": self.partner_ids}) if self.partner_ids else Q(pk__in=[])


NOTHING = PartnerScope(everything=False)


def partner_scope(user) -> PartnerScope:
    """Station staff see every partner; liaisons their own partner only; a liaison without a partner, a sender
    (machine) account or any role not known as staff sees nothing (fail closed)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    if user.role in STATION_STAFF:
        return PartnerScope(everything=True)
    if user.role != Role.PARTNER_LIAISON:
        return NOTHING
    from .models import Liaison

    partner_id = Liaison.objects.filter(user=user).values_list("partner_id", flat=True).first()
    return PartnerScope(everything=False, partner_ids=frozenset({partner_id})) if partner_id else NOTHING


def scoped_get(user, rows: type[Model] | QuerySet, pk, message: str | None = None, *, partner: str | None = "partner",
               capability: str = PARTNER_VIEW, key: str = "pk"):  # fmt: skip
    """The one row (`key` = `pk`) of `rows` that `user` may see, else NotFound (404) — never a hint that it exists.

    A row is visible to a caller holding `capability` whose partner scope includes the row's partner, read
    through `partner` (a field path such as `topic__partner`): station staff see every row, a liaison the rows
    of their own partner (rows of no partner stay hidden from them), anyone else nothing. `partner=None`: rows
    of the station's own (anchors, studios) that only station staff see."""
    queryset = rows if isinstance(rows, QuerySet) else rows._default_manager.all()
    scope, row = partner_scope(user), None
    if can(user, capability) and (partner is not None or scope.everything):
        row = queryset.filter(scope.filter(partner) if partner else Q(), **{key: pk}).first()
    if row is None:
        raise NotFound(FieldError("not_found", message or gettext("资源不存在。")))
    return row
