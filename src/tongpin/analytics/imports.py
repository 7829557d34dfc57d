"""Importing platform exports (CSV or XLSX): every row is checked first and reported with its line; nothing is
written unless the file is clean or the user chose to import the valid rows. Re-importing the same figures
changes nothing (articles and samples are keyed; roll-ups are recomputed from them)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import FieldError, Forbidden, ValidationFailed
from tongpin.core.spreadsheets import read_table
from tongpin.core.weblinks import is_web_url

from . import rollups
from .formats import FORMATS, Format
from .models import Account, AccountSample, Article, ImportStatus, MetricImport, MetricSample, Platform

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000
RANKING_AGE = 7  # rankings use each article's figures as of day 7 after publication
NUMBER = re.compile(r"^(\d+(?:\.\d+)?)(万)?(\+)?$")


@dataclass
class Parsed:
    rows: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    total: int = 0

    def fail(self, line: int, message: str) -> None:
        self.errors.append({"line": line, "message": message})


def parse_count(raw) -> int:
    """'10万+' → 100001 (the publishers' convention); '1.2万' → 12000; '1,234' → 1234; '' → 0."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if raw < 0 or raw != int(raw):
            raise ValueError(raw)
        return int(raw)
    text = str(raw).strip().replace(",", "").replace("，", "")
    if text == "":
        return 0
    if text in ("10万+", "100000+"):
        return 100001
    match = NUMBER.match(text)
    if not match or ("." in match.group(1) and not match.group(2)):  # a fraction only with 万 (1.2万)
        raise ValueError(text)
    value = float(match.group(1)) * (10_000 if match.group(2) else 1)
    return int(round(value)) + (1 if match.group(3) else 0)


def parse_when(raw) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        moment = raw
    elif isinstance(raw, dt.date):
        moment = dt.datetime.combine(raw, dt.time())
    else:
        text = str(raw or "").strip().replace("/", "-")
        moment = None
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                moment = dt.datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(text)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def parse(fmt: Format, data: bytes, name: str) -> Parsed:
    table = read_table(data, name, max_rows=MAX_ROWS)  # stops reading one row past the limit
    if not table:
        raise ValidationFailed(FieldError("empty", _("文件是空的。"), "file"))
    headers = [str(h) for h in table[0]]
    columns = fmt.header_map(headers)
    missing = [c.headers[0] for c in fmt.columns if c.required and c.field not in columns]
    if missing:
        raise ValidationFailed(
            FieldError("missing_columns", _("缺少列：%(c)s（可下载模板对照）。") % {"c": "、".join(missing)}, "file")
        )
    if len(table) - 1 > MAX_ROWS:
        raise ValidationFailed(FieldError("too_many_rows", _("一次最多导入 %(n)d 行。") % {"n": MAX_ROWS}, "file"))
    parsed = Parsed(total=0)
    for line, raw in enumerate(table[1:], start=2):
        if not any(str(v).strip() for v in raw):
            continue
        parsed.total += 1
        cells = {f: (raw[i] if i < len(raw) else "") for f, i in columns.items()}
        try:
            parsed.rows.append((line, _clean_row(fmt, cells)))
        except RowError as error:
            parsed.fail(line, str(error))
    return parsed


class RowError(Exception):
    pass


def _clean_row(fmt: Format, cells: dict) -> dict:
    out = {"account": str(cells.get("account", "")).strip()}
    if not out["account"]:
        raise RowError(_("账号为空"))
    if fmt.kind == "accounts":
        out["platform"] = platform_code(cells.get("platform"))
        out["day"] = _date(cells.get("day"), _("日期"))
        out["followers"] = _count(cells.get("followers"), _("粉丝数"))
        return out
    try:
        out["published_at"] = parse_when(cells.get("published_at"))
    except ValueError as error:
        raise RowError(_("发布时间“%(v)s”无法识别") % {"v": cells.get("published_at")}) from error
    out["observed_on"] = _date(cells.get("observed_on"), _("数据日期"))
    if out["observed_on"] < timezone.localtime(out["published_at"]).date():
        raise RowError(_("数据日期早于发布时间"))
    position = cells.get("position") or 1
    try:
        out["position"] = int(position)
    except (TypeError, ValueError) as error:
        raise RowError(_("位置“%(v)s”应为 1、2、3…（1 为头条）") % {"v": position}) from error
    if not 1 <= out["position"] <= 20:
        raise RowError(_("位置应在 1–20 之间"))
    out["title"] = str(cells.get("title", "")).strip()[:300]
    out["url"] = str(cells.get("url", "")).strip()[:500]
    if out["url"] and not is_web_url(out["url"]):
        raise RowError(_("链接必须是以 http:// 或 https:// 开头的网址"))
    for name in ("reads", "likes", "wows", "shares", "comments"):
        out[name] = _count(cells.get(name), name)
    return out


# Names people write for a platform besides its code and its label (the label is what the pages show).
PLATFORM_ALIASES = {
    "微信": Platform.WECHAT,
    "公众号": Platform.WECHAT,
    "微信公众平台": Platform.WECHAT,
    "新浪微博": Platform.WEIBO,
    "微信视频号": Platform.CHANNELS,
}


@functools.lru_cache(maxsize=8)
def _platform_names(language: str | None) -> dict[str, str]:
    """Every accepted spelling (casefolded) → code: the code, the Chinese label, the label in the reader's
    language and the aliases. Built once per language, not for every row of an import."""
    names = {code.casefold(): code for code in Platform.values}
    with translation.override(None):  # the msgids: the Chinese labels, whatever language is active
        names |= {str(label).casefold(): code for code, label in Platform.choices}
    names |= {str(label).casefold(): code for code, label in Platform.choices}
    names |= {alias.casefold(): str(code) for alias, code in PLATFORM_ALIASES.items()}
    return names


def platform_code(raw) -> str:
    """A platform cell ("wechat", "微信公众号", "微信", "WeChat") as its code; refused with the values accepted."""
    text = re.sub(r"\s+", "", str(raw or ""))
    code = _platform_names(translation.get_language()).get(text.casefold())
    if code is None:
        accepted = pgettext("list separator", "、").join(
            _("%(label)s（%(code)s）") % {"label": label, "code": code} for code, label in Platform.choices
        )
        raise RowError(_("平台“%(p)s”无效，可填写：%(v)s") % {"p": text, "v": accepted})
    return code


def _count(raw, label) -> int:
    try:
        return parse_count(raw)
    except ValueError as error:
        raise RowError(_("%(f)s“%(v)s”不是非负整数") % {"f": label, "v": raw}) from error


def _date(raw, label) -> dt.date:
    try:
        return timezone.localtime(parse_when(raw)).date()
    except ValueError as error:
        raise RowError(_("%(f)s“%(v)s”无法识别") % {"f": label, "v": raw}) from error


# -- writing -------------------------------------------------------------------------------------------------


def run_import(actor: Actor, fmt_name: str, name: str, data: bytes, accept_partial: bool = False) -> MetricImport:
    if not roles.can(actor.user, roles.METRICS_IMPORT):
        raise Forbidden(FieldError("forbidden", _("您没有导入数据的权限。")))
    fmt = FORMATS.get(fmt_name)
    if fmt is None:
        raise ValidationFailed(FieldError("unknown_format", _("未知的导入格式。"), "format"))
    if len(data) > MAX_BYTES:
        raise ValidationFailed(FieldError("too_large", _("文件不能超过 20 MB。"), "file"))
    if not name.lower().endswith((".csv", ".xlsx")):
        raise ValidationFailed(FieldError("unsupported_type", _("请上传 CSV 或 XLSX 文件。"), "file"))
    parsed = parse(fmt, data, name)
    accounts = _accounts(fmt, parsed)
    record = MetricImport(
        format=fmt.name,
        original_name=name[-200:],
        sha256=hashlib.sha256(data).hexdigest(),
        rows_total=parsed.total,
        errors=sorted(parsed.errors, key=lambda e: e["line"])[:500],
        created_by=actor.user,
    )
    with transaction.atomic():
        if parsed.errors and not accept_partial or not parsed.rows:
            record.status = ImportStatus.REJECTED
        else:
            written = _write(fmt, parsed.rows, accounts, f"import:{record.sha256[:12]}")
            record.rows_written = written
            record.status = (
                ImportStatus.PARTIAL if parsed.errors else ImportStatus.IMPORTED if written else ImportStatus.UNCHANGED
            )
        record.file.save(name[-60:], ContentFile(data), save=False)
        record.save()
        audit.record(actor, "metrics.import", record, {"status": record.status, "rows": record.rows_written})
    return record


def _accounts(fmt: Format, parsed: Parsed) -> dict[tuple[str, str], Account]:
    """Resolve account names; rows naming an unregistered account become errors (register peers first)."""
    platform_of = (lambda row: row["platform"]) if fmt.kind == "accounts" else (lambda row: fmt.platform)
    wanted = {(platform_of(row), row["account"]) for _line, row in parsed.rows}
    known = {
        (a.platform, a.name): a
        for a in Account.objects.filter(name__in={n for _p, n in wanted}, archived_at__isnull=True)
    }
    kept = []
    for line, row in parsed.rows:
        if (platform_of(row), row["account"]) in known:
            kept.append((line, row))
        else:
            parsed.fail(line, _("账号“%(a)s”未登记，请先在“账号”中添加") % {"a": row["account"]})
    parsed.rows = kept
    return known


def _write(fmt: Format, rows: list[tuple[int, dict]], accounts: dict, source: str) -> int:
    if fmt.kind == "accounts":
        return _write_followers(rows, accounts, source)
    changed, touched = 0, set()
    for _line, row in rows:
        account = accounts[(fmt.platform, row["account"])]
        article, changed_article = _article(account, row)
        day = timezone.localtime(article.published_at).date()
        figures = {k: row[k] for k in ("reads", "likes", "wows", "shares", "comments")}
        age = (row["observed_on"] - day).days
        sample, created = MetricSample.objects.get_or_create(
            article=article, observed_on=row["observed_on"], defaults={**figures, "age_days": age, "source": source}
        )
        if not created and any(getattr(sample, k) != v for k, v in figures.items()):
            MetricSample.objects.filter(pk=sample.pk).update(**figures, source=source)
            created = True
        if created or changed_article:
            changed += 1
            touched.add(article.pk)
    pairs = choose_figures(touched)
    rollups.refresh(pairs)
    return changed


def _article(account: Account, row: dict) -> tuple[Article, bool]:
    published = row["published_at"]
    key = row["url"] or f"{published.isoformat()}|{row['position']}|{row['title'][:80]}"
    day = timezone.localtime(published).date()
    values = {"title": row["title"], "url": row["url"], "published_at": published, "day": day,
              "position": row["position"]}  # fmt: skip
    article, created = Article.objects.get_or_create(account=account, key=key, defaults=values)
    if not created and any(getattr(article, k) != v for k, v in values.items()):
        Article.objects.filter(pk=article.pk).update(**values)
        return article, True
    return article, created


def choose_figures(article_ids: set[int]) -> set[tuple[int, dt.date]]:
    """Set each article's ranking figures: the latest sample up to day 7, else the earliest after it. Answer
    the (account, day) pairs whose roll-ups must be refreshed."""
    pairs = set()
    samples: dict[int, list[MetricSample]] = {}
    for sample in MetricSample.objects.filter(article_id__in=article_ids).order_by("article_id", "age_days"):
        samples.setdefault(sample.article_id, []).append(sample)
    for article in Article.objects.filter(pk__in=article_ids):
        found = samples.get(article.pk, [])
        early = [s for s in found if s.age_days <= RANKING_AGE]
        chosen = early[-1] if early else (found[0] if found else None)
        if chosen is not None:
            figures = {k: getattr(chosen, k) for k in ("reads", "likes", "wows", "shares", "comments")}
            Article.objects.filter(pk=article.pk).update(**figures, figures_age=chosen.age_days)
        pairs.add((article.account_id, article.day))
    return pairs


def _write_followers(rows, accounts, source: str) -> int:
    changed = 0
    for _line, row in rows:
        account = accounts[(row["platform"], row["account"])]
        sample, created = AccountSample.objects.get_or_create(
            account=account, day=row["day"], defaults={"followers": row["followers"], "source": source}
        )
        if not created and sample.followers != row["followers"]:
            AccountSample.objects.filter(pk=sample.pk).update(followers=row["followers"], source=source)
            created = True
        if created:
            changed += 1
            latest = account.samples.order_by("-day").first()
            Account.objects.filter(pk=account.pk).update(followers=latest.followers)
    return changed
