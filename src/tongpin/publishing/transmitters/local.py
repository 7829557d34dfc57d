"""Destinations Tongpin serves itself: feeds (RSS 2.0, Atom, ninjs) and the printed journal's article pool.

Sending just marks the rendition as out; the feed views and the journal read delivered, not withdrawn renditions.
"""

from django.utils.translation import gettext_lazy

from ..plugins import Outcome, Parcel, Setting, Transmitter, register_transmitter


@register_transmitter
class Feed(Transmitter):
    name = "feed"
    label = gettext_lazy("订阅源（RSS/Atom/ninjs）")
    local = True
    supports_withdraw = True
    settings = (
        Setting(
            "access_key",
            gettext_lazy("访问口令"),
            kind="secret",
            help=gettext_lazy("留空则公开；设置后订阅地址需带 ?key=口令"),
        ),
    )

    def send(self, parcel: Parcel) -> Outcome:
        return Outcome(code="listed")

    def withdraw(self, parcel: Parcel) -> Outcome:
        return Outcome(code="unlisted")


@register_transmitter
class JournalPool(Transmitter):
    name = "journal"
    label = gettext_lazy("刊物稿库（组版印刷）")
    local = True
    supports_withdraw = True

    def send(self, parcel: Parcel) -> Outcome:
        return Outcome(code="pooled")

    def withdraw(self, parcel: Parcel) -> Outcome:
        return Outcome(code="unpooled")
