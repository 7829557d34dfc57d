"""CAP profiles as plug-ins: extra rules a jurisdiction adds. Register with `@profile("name")`; other packages add
theirs through the `tongpin.cap_profiles` entry point.

* `china`: GB/T 2260 administrative area codes, a 红/橙/黄/蓝 level for every info, Chinese text.
* `ipaws`: the essentials of the IPAWS CAP v1.0 profile (SAME event and area codes, expiry, profile code).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from importlib.metadata import entry_points

from django.utils.translation import gettext as _

from .model import LEVELS, Message
from .rules import Issue

log = logging.getLogger(__name__)
ProfileCheck = Callable[[Message], list[Issue]]
PROFILES: dict[str, ProfileCheck] = {}

# Province-level codes of GB/T 2260 (the first two digits of every administrative code).
PROVINCES = {
    11,
    12,
    13,
    14,
    15,
    21,
    22,
    23,
    31,
    32,
    33,
    34,
    35,
    36,
    37,
    41,
    42,
    43,
    44,
    45,
    46,
    50,
    51,
    52,
    53,
    54,
    61,
    62,
    63,
    64,
    65,
    71,
    81,
    82,
}
CHINA_CODE_NAMES = {"GB/T 2260", "GB2260", "GBT2260", "ADCODE", "行政区划代码"}
_ADCODE = re.compile(r"^\d{6}(\d{3}|\d{6})?$")


def adcode_problem(value: str) -> tuple[str, str] | None:
    """What is wrong with a GB/T 2260 code (6, 9 or 12 digits under a real province) as (code, message), or None."""
    if not _ADCODE.match(value):
        return "bad_area_code", _("“%(value)s”不是 6、9 或 12 位的 GB/T 2260 区划代码。") % {"value": value[:30]}
    if int(value[:2]) not in PROVINCES:
        return "unknown_province", _("“%(value)s”：没有代码为 %(province)s 的省份。") % {
            "value": value,
            "province": value[:2],
        }
    return None


def profile(name: str):
    def register(check: ProfileCheck) -> ProfileCheck:
        PROFILES[name] = check
        return check

    return register


def load_profiles() -> None:
    for entry in entry_points(group="tongpin.cap_profiles"):
        try:
            entry.load()
        except Exception:  # a broken third-party profile must not break the intake
            log.exception("CAP profile %s failed to load", entry.name)


@profile("china")
def china(message: Message) -> list[Issue]:
    issues: list[Issue] = []
    if message.infos and not any(i.language.lower().startswith("zh") for i in message.infos):
        issues.append(Issue("no_chinese", _("没有中文（zh-CN）的 info 块。"), "info/language", "warning"))
    for i, info in enumerate(message.infos):
        if info.level not in LEVELS:
            issues.append(
                Issue(
                    "no_level",
                    _("无法判断预警级别（红/橙/黄/蓝）：severity 为 Unknown，也没有 level 参数。"),
                    f"info[{i}]/severity",
                )
            )
        if not info.areas:
            issues.append(Issue("no_area", _("没有 <area>：无法确定影响区域。"), f"info[{i}]", "warning"))
        for j, area in enumerate(info.areas):
            for name, value in area.geocodes:
                looks_like_adcode = name.upper().replace(" ", "") in {n.replace(" ", "") for n in CHINA_CODE_NAMES}
                if not looks_like_adcode:
                    continue
                where = f"info[{i}]/area[{j}]/geocode"
                problem = adcode_problem(value)
                if problem:
                    issues.append(Issue(*problem, where))
    return issues


@profile("ipaws")
def ipaws(message: Message) -> list[Issue]:
    issues: list[Issue] = []
    if not any(code.startswith("IPAWSv1.0") for code in message.codes):
        issues.append(Issue("ipaws_code", _("没有 <code>IPAWSv1.0</code>。"), "code", "warning"))
    for i, info in enumerate(message.infos):
        same = [v for n, v in info.event_codes if n == "SAME"]
        if not same:
            issues.append(Issue("same_event_required", _("IPAWS 需要 SAME 事件代码。"), f"info[{i}]/eventCode"))
        elif not all(re.fullmatch(r"[A-Z]{3}", v) for v in same):
            issues.append(Issue("bad_same_event", _("SAME 事件代码是三个大写字母。"), f"info[{i}]/eventCode"))
        if not info.expires:
            issues.append(Issue("expires_required", _("IPAWS 需要 <expires>。"), f"info[{i}]/expires"))
        for j, area in enumerate(info.areas):
            codes = [v for n, v in area.geocodes if n == "SAME"]
            if not codes:
                issues.append(Issue("same_area_required", _("IPAWS 需要 SAME 地理代码。"), f"info[{i}]/area[{j}]"))
            elif not all(re.fullmatch(r"\d{6}", v) for v in codes):
                issues.append(Issue("bad_same_area", _("SAME 地理代码是六位数字。"), f"info[{i}]/area[{j}]"))
    return issues
