"""A drill (演练) from the duty console: one button composes an Exercise alert and releases it to the channels marked
for tests (测试渠道, a test emergency-broadcast platform among them); its page then shows every delivery, end to end.

The drill goes through the same intake, policy, renditions and queue as a real warning — only its CAP status is
Exercise, so it reaches test channels alone (release.target_channels), its texts are marked 【演练】 and its
emergency-broadcast message carries the drill flag (ebm.py). If the policy makes it wait, the officer who pressed
the button confirms it at once: pressing the button is the decision.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from tongpin.core import audit, roles
from tongpin.core.audit import Actor
from tongpin.core.errors import Conflict, FieldError
from tongpin.core.roles import ALERT_DECIDE
from tongpin.publishing.models import Channel

from . import compose
from . import release as lifecycle
from .models import Alert, AlertState
from .renditions import ALERT_KINDS


def test_channels() -> list[Channel]:
    return list(Channel.objects.filter(is_active=True, for_tests=True, kind__in=ALERT_KINDS, coverage__isnull=False))


def run(actor: Actor) -> Alert:
    roles.require(actor.user, ALERT_DECIDE, _("只有值班员可以发起演练。"))
    if not test_channels():
        raise Conflict(FieldError("no_test_channel", _(
            "没有可用于演练的测试渠道：请管理员在渠道设置中把渠道标为测试渠道，并设置其覆盖范围。")))  # fmt: skip
    codes = sorted({code for channel in test_channels() for code in channel.coverage.area_codes})[:50]
    stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    draft = compose.Draft(
        event="应急演练",
        level="red",
        headline=_("【演练】同频预警通道演练（%(t)s）") % {"t": stamp},
        description=_("【演练】这是一条预警通道演练信息，不是真实预警，请勿转发。"),
        instruction=_("【演练】无需采取任何行动。"),
        area_desc=_("演练范围"),
        area_codes=codes,
        status="Exercise",
        expires_hours=1,
    )
    alert = compose.issue(actor, draft).alert
    audit.record(actor, "alert.drill", alert, {"test_channels": [c.name for c in test_channels()]})
    if alert.state == AlertState.PENDING:
        alert = lifecycle.confirm(actor, alert.pk, _("演练：发起人确认发布"))
    return alert
