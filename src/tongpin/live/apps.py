from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "tongpin.live"
    label = "live"
    verbose_name = _("直播带货")

    def ready(self) -> None:
        from tongpin.core import periodic
        from tongpin.partners.measures import Measure, register
        from tongpin.planning.calendar import register_source
        from tongpin.planning.services import register_booking_source

        from .services import calendar_entries, remind_expiring, session_bookings, sessions_measure

        register(Measure("live_sessions", _("直播场次"), _("场"), sessions_measure))
        register_source("live", calendar_entries)
        register_booking_source(session_bookings)
        periodic.register("live.remind_expiring", remind_expiring)
