"""Feeds Tongpin serves itself: RSS 2.0 and Atom per feed channel, a plain page and IPTC ninjs 2.0 JSON per item.

A feed lists renditions whose publish delivery succeeded (so schedules and embargoes hold) and that were
not withdrawn since; newest first.
"""

from __future__ import annotations

from urllib.parse import urlsplit

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


NINJS_TYPE = "application/ninjs+json"


class RssWithNinjs(Rss201rev2Feed):
    """RSS 2.0 whose items also point to their ninjs form (an atom:link alternate)."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("atom:link", None, {"rel": "alternate", "type": NINJS_TYPE, "href": item["ninjs"]})


class AtomWithNinjs(Atom1Feed):
    """Atom whose entries also link their ninjs form as an alternate of another type."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        handler.addQuickElement("link", "", {"rel": "alternate", "type": NINJS_TYPE, "href": item["ninjs"]})


def build_feed(channel: Channel, link: str, atom: bool) -> SyndicationFeed:
    """The feed at `link` (its absolute URL, with ?key= for a private feed). Each item links to its page for
    people (the story's own link if it has one, else `items/<id>/`), with its ninjs as an alternate."""
    feed_class = AtomWithNinjs if atom else RssWithNinjs
    address = urlsplit(link)
    folder = link.split("?", 1)[0].rsplit("/", 1)[0]
    query = f"?{address.query}" if address.query else ""  # a private feed's key opens its items too
    feed = feed_class(
        title=channel.name,
        link=link,
        description=channel.name,
        language="zh-CN",
        feed_url=link,
    )
    for rendition in feed_items(channel):
        page = f"{folder}/items/{rendition.pk}/{query}"
        html = _html(rendition)
        feed.add_item(
            title=_title(rendition),
            link=rendition.publication.content.get("link") or page,
            ninjs=f"{folder}/items/{rendition.pk}.json{query}",
            description=html or _summary(rendition),
            unique_id=f"tag:tongpin,{rendition.publication.created_at:%Y-%m-%d}:rendition/{rendition.pk}",
            unique_id_is_permalink=False,
            pubdate=rendition.publication.released_at,
            updateddate=rendition.publication.released_at,
            categories=rendition.publication.content.get("tags") or [],
            author_name=rendition.publication.content.get("byline") or None,
        )
    return feed


def item_page(rendition: Rendition) -> dict:
    """What the item's page shows."""
    publication = rendition.publication
    return {
        "title": _title(rendition),
        "released_at": publication.released_at,
        "byline": publication.content.get("byline", ""),
        "summary": publication.content.get("summary", ""),
        "html": _html(rendition),
        "text": "" if _html(rendition) else _summary(rendition),
    }


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
