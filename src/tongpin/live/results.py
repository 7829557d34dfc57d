"""Results files from the platforms' back ends (CSV or XLSX): one row per session, all rows checked before any is
saved — a wrong column or a negative figure refuses the whole file, with every problem and its line."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, ValidationFailed
from tongpin.core.spreadsheets import read_table

from .models import LiveSession
from .services import RESULT_FIELDS, record_result, result_errors

COLUMNS = {
    "session": ("场次ID", "session"),
    "viewers": ("观看人数", "viewers"),
    "peak_concurrent": ("最高在线", "peak_concurrent"),
    "avg_watch_seconds": ("人均观看时长（秒）", "人均观看时长", "avg_watch_seconds"),
    "orders": ("订单数", "orders"),
    "gmv": ("成交额", "gmv"),
    "refunds": ("退款额", "refunds"),
}
MONEY = {"gmv", "refunds"}


def template() -> list[list[str]]:
    return [[names[0] for names in COLUMNS.values()], ["12", "58000", "3200", "95", "1460", "186400.00", "5200.00"]]


def import_results(actor: Actor, name: str, data: bytes) -> int:
    table = read_table(data, name)
    if not table:
        raise ValidationFailed(FieldError("empty", _("文件是空的。"), "file"))
    headers = [str(h).strip() for h in table[0]]
    index = {}
    for field, names in COLUMNS.items():
        found = next((i for i, h in enumerate(headers) if h in names), None)
        if found is None:
            raise ValidationFailed(
                FieldError("missing_columns", _("缺少列“%(c)s”（可下载模板对照）。") % {"c": names[0]}, "file")
            )
        index[field] = found
    errors, rows = [], []
    for line, raw in enumerate(table[1:], start=2):
        if not any(str(v).strip() for v in raw):
            continue
        values, problems = {}, []
        for field, i in index.items():
            cell = str(raw[i]).strip().replace(",", "") if i < len(raw) else ""
            try:
                values[field] = Decimal(cell) if field in MONEY else int(cell)
            except (InvalidOperation, ValueError):
                problems.append(_("“%(f)s”的值“%(v)s”不是数字") % {"f": headers[i], "v": cell})
        session = LiveSession.objects.filter(pk=values.get("session")).first() if "session" in values else None
        if not problems and session is None:
            problems.append(_("场次 %(s)s 不存在") % {"s": values.get("session")})
        if not problems:
            problems += [str(e.message) for e in result_errors(values)]
        if problems:
            errors += [FieldError("bad_row", _("第 %(l)d 行：%(m)s") % {"l": line, "m": m}, "file") for m in problems]
        else:
            rows.append((session, {k: values[k] for k in RESULT_FIELDS}))
    if errors:
        raise ValidationFailed(errors[:100])
    with transaction.atomic():
        for session, values in rows:
            record_result(actor, session, values, source=f"import:{name[-40:]}")
    return len(rows)
