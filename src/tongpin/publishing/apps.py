from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "tongpin.publishing"
    label = "publishing"
    verbose_name = _("发布")

    def ready(self) -> None:
        from .plugins import load_plugins

        load_plugins()

        from tongpin.core import datakey

        from .secrets import STORE

        datakey.register_store(STORE)

        from .measures import register_measures

        register_measures()
