from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "tongpin.alerts"
    label = "alerts"
    verbose_name = _("预警")

    def ready(self) -> None:
        from tongpin.core import datakey
        from tongpin.core.periodic import register

        from . import duty
        from .cap.profiles import load_profiles
        from .paging import periodic as paging
        from .release import escalate_overdue, expire_due

        load_profiles()
        datakey.register_store(duty.PAGING_SECRETS)  # rotation and `tongpin keys status` reach paging secrets
        register("alerts.escalate", escalate_overdue)
        register("alerts.expire", expire_due)
        register("alerts.paging", paging)  # escalates unanswered pages, sends and retries what is due
