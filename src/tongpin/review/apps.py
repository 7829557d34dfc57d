from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewConfig(AppConfig):
    name = "tongpin.review"
    label = "review"
    verbose_name = _("三审三校")

    def ready(self) -> None:
        from tongpin.newsroom.signals import story_revised
        from tongpin.publishing.checks import register_text_checker

        from . import signals
        from .channel_checks import proofread_rendition
        from .workflow import restart_on_revision

        signals.connect()
        story_revised.connect(restart_on_revision, dispatch_uid="review.restart_on_revision")
        register_text_checker(proofread_rendition)
