"""Feeds Tongpin serves itself: RSS 2.0 and Atom per feed channel, IPTC ninjs 2.0 JSON per item.

A feed lists renditions whose publish delivery succeeded (so schedules and embargoes hold) and that were
not withdrawn since; newest first.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed

from .listing import delivered_renditions
from .models import Channel, Publication, PublicationState, Rendition
from .plugins import formatter_for
from .text import html_to_text

FEED_SIZE = 50


def feed_items(channel: Channel) -> QuerySet[Rendition]:
    return delivered_renditions(channel)[:FEED_SIZE]


def _title(rendition: Rendition) -> str:
    fields = rendition.fields
    return fields.get("title") or fields.get("headline") or rendition.publication.title


def _html(rendition: Rendition) -> str:
    fields = rendition.fields
    for name in ("body_html", "content"):
        if fields.get(name):
            return fields[name]
    return ""


def _summary(rendition: Rendition) -> str:
    fields = rendition.fields
    for name in ("summary", "digest", "lead", "caption", "body", "text", "script"):
        if fields.get(name):
            return fields[name]
    return html_to_text(_html(rendition))[:200]


def build_feed(channel: Channel, link: str, atom: bool) -> SyndicationFeed:
    feed_class = Atom1Feed if atom else Rss201rev2Feed
    feed = feed_class(
        title=channel.name,
        link=link,
        description=channel.name,
        language="zh-CN",
        feed_url=link,
    )
    for rendition in feed_items(channel):
        item_link = f"{link.rsplit('/', 1)[0]}/items/{rendition.pk}.json"
        html = _html(rendition)
        feed.add_item(
            title=_title(rendition),
            link=rendition.publication.content.get("link") or item_link,
            description=html or _summary(rendition),
            unique_id=f"tag:tongpin,{rendition.publication.created_at:%Y-%m-%d}:rendition/{rendition.pk}",
            unique_id_is_permalink=False,
            pubdate=rendition.publication.released_at,
            updateddate=rendition.publication.released_at,
            categories=rendition.publication.content.get("tags") or [],
            author_name=rendition.publication.content.get("byline") or None,
        )
    return feed


def ninjs(publication: Publication, rendition: Rendition | None = None) -> dict:
    """IPTC ninjs 2.0 for a publication (its content), or one rendition of it."""
    content = publication.content
    headline = _title(rendition) if rendition else content.get("title", "")
    html = _html(rendition) if rendition else content.get("body_html", "")
    text = formatter_for(rendition.kind).text_of(rendition.fields) if rendition and not html else ""
    uri = f"urn:tongpin:{publication.source_type}:{publication.source_id}:{publication.source_version}"
    document = {
        "uri": uri + (f":{rendition.channel.slug}" if rendition else ""),
        "type": "text",
        "representationtype": "complete",
        "profile": "tongpin-story",
        "version": str(publication.source_version),
        "firstcreated": publication.created_at.isoformat(),
        "versioncreated": (publication.released_at or publication.created_at).isoformat(),
        "pubstatus": "canceled" if publication.state == PublicationState.WITHDRAWN else "usable",
        "language": "zh-CN",
        "headlines": [{"role": "main", "value": headline}],
        "subjects": [{"name": tag} for tag in content.get("tags", [])],
        "bodies": [{"role": "main", "contenttype": "text/html", "value": html}]
        if html
        else [{"role": "main", "contenttype": "text/plain", "value": text}],
    }
    if content.get("summary"):
        document["descriptions"] = [{"role": "summary", "contenttype": "text/plain", "value": content["summary"]}]
    if content.get("byline"):
        document["by"] = content["byline"]
    return document
