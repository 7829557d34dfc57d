"""What publishing asks of the app a publication's content came from (newsroom for stories). Publishing imports
no such app; each registers its rules at start-up (apps.ready), keyed by the publication's `source_type`."""

from collections.abc import Callable
from dataclasses import dataclass

from tongpin.core.audit import Actor

from .models import Publication, Rendition


@dataclass(frozen=True)
class SourceRules:
    # A rendition was edited by hand before release: the source records it (and may send it back to review);
    # answers the source's new version, which the publication then names.
    rendition_edited: Callable[[Actor, Publication, Rendition], int | None]
    # Raise a DomainError when the publication may not be released (e.g. its content is no longer approved).
    check_release: Callable[[Publication], None]


SOURCES: dict[str, SourceRules] = {}


def register_source(source_type: str, rules: SourceRules) -> None:
    SOURCES[source_type] = rules


def rules_for(source_type: str) -> SourceRules | None:
    return SOURCES.get(source_type)
