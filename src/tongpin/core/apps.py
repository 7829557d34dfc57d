from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "tongpin.core"
    label = "core"
    verbose_name = _("基础")

    def ready(self) -> None:
        from . import datakey, periodic, signals, twofactor  # noqa: F401  (signals: login audit)
        from .dormancy import periodic_dormant

        periodic.register("core.disable_dormant", periodic_dormant)
        datakey.register_store(twofactor.STORE)  # rotation and `tongpin keys status` reach the TOTP seeds
