from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "tongpin.analytics"
    label = "analytics"
    verbose_name = _("传播效果")

    def ready(self) -> None:
        from .measures import register_measures

        register_measures()
