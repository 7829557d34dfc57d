from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "tongpin.analytics"
    label = "analytics"
    verbose_name = _("传播效果")

    def ready(self) -> None:
        from tongpin.core import periodic

        from .measures import register_measures
        from .reports import schedule_monthly

        register_measures()
        periodic.register("analytics.monthly_reports", schedule_monthly)
