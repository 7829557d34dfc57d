"""`{% channel_coverage channel %}`: which areas and warning levels a channel takes, for the channel page."""

from django import template

from tongpin.core.roles import ALERT_POLICY, can

from .. import lane_config

register = template.Library()


@register.inclusion_tag("alerts/_channel_coverage.html", takes_context=True)
def channel_coverage(context, channel):
    if channel.kind not in lane_config.ALERT_KINDS:
        return {"shown": False}
    user = context.get("user")
    described = lane_config.describe_coverage(lane_config.get_coverage(channel))
    return {"shown": True, "channel": channel, "described": described, "can_edit": can(user, ALERT_POLICY)}
