from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    name = "tongpin.planning"
    label = "planning"
    verbose_name = _("策划")

    def ready(self) -> None:
        from tongpin.core import periodic
        from tongpin.partners.services import remind_due_actions

        from .measures import register_measures
        from .services import remind_due_assignments

        register_measures()
        from tongpin.core import datakey

        from .ical import STORE

        datakey.register_store(STORE)
        periodic.register("partners.remind_actions", remind_due_actions)
        periodic.register("planning.remind_assignments", remind_due_assignments)
