from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "tongpin.web"
    label = "web"
    verbose_name = _("网页与运行")

    def ready(self) -> None:
        from tongpin.core import periodic

        from .backups import scheduled_backup
        from .lanewatch import watch
        from .tidy import periodic_tidy

        periodic.register("web.scheduled_backup", scheduled_backup)
        periodic.register("web.tidy", periodic_tidy)
        periodic.register("web.lane_watch", watch)  # pages the duty desk when the warning lane is unwell
