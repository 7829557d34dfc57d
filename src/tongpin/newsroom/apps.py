from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NewsroomConfig(AppConfig):
    name = "tongpin.newsroom"
    label = "newsroom"
    verbose_name = _("稿件库")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from tongpin.publishing.queue import publication_changed

        from .models import Story
        from .publish import mark_published
        from .search.indexing import unindex_stories

        # Stories are archived, not deleted; where code does delete one, its index row goes with it.
        post_delete.connect(
            lambda sender, instance, **kw: unindex_stories([instance.pk]),
            sender=Story,
            weak=False,
            dispatch_uid="newsroom.unindex",
        )
        publication_changed.connect(mark_published, dispatch_uid="newsroom.mark_published")

        from tongpin.publishing.sources import SourceRules, register_source

        from .publish import SOURCE, check_release, rendition_edited

        register_source(SOURCE, SourceRules(rendition_edited=rendition_edited, check_release=check_release))

        from .measures import register_measures

        register_measures()
