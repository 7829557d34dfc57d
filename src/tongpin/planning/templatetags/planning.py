"""Template helpers for planning pages."""

from django import template

from tongpin.publishing.kinds import ChannelKind

register = template.Library()


@register.filter
def channel_labels(kinds) -> str:
    """["tv", "douyin"] → "电视、抖音" (unknown kinds are shown as they are)."""
    return "、".join(str(ChannelKind(k).label) if k in ChannelKind.values else str(k) for k in kinds or [])
