"""Channel plug-ins: formatters (content → rendition for one kind) and transmitters (rendition → destination).

Adding a channel is one module that defines a Formatter and/or a Transmitter subclass and registers it with
`@register_formatter` / `@register_transmitter`. Built-ins live in `channels/` and `transmitters/`; other
packages add theirs through the `tongpin.channels` entry point (a module to import).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, ClassVar

import nh3
from django.utils.translation import gettext_lazy as _

from tongpin.core.weblinks import is_web_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Setting:
    """One channel setting a plug-in needs. `secret` values never appear on pages, in the API or in logs."""

    name: str
    label: str
    kind: str = "text"  # text | multiline | secret | int | bool | url | email | choice
    required: bool = False
    default: Any = None
    help: str = ""
    choices: tuple[str, ...] = ()
    # For a secret: the settings naming where it is sent (a URL, a host). Changing one of them drops the stored
    # secret, so an old secret never goes to a new destination unless the admin enters it again.
    bound_to: tuple[str, ...] = ()
    # For a choice: (value, words) pairs shown instead of the bare values.
    choice_labels: tuple[tuple[str, Any], ...] = ()

    @property
    def secret(self) -> bool:
        return self.kind == "secret"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a rendition, with the channel's limit on it."""

    name: str
    label: str
    max_length: int | None = None
    required: bool = False
    multiline: bool = False
    html: bool = False
    items: bool = False  # a list of strings (hashtags, image names)
    max_items: int | None = None
    url: bool = False  # an address: http(s) only (core.weblinks)


@dataclass
class Image:
    path: str  # a file on this machine (never sent anywhere as is)
    name: str
    caption: str = ""
    mime: str = "image/jpeg"


@dataclass
class Content:
    """What a source hands to publishing: a neutral snapshot, JSON-serialisable."""

    source_type: str
    source_id: int
    version: int
    title: str
    summary: str = ""
    body_html: str = ""
    body_text: str = ""
    tags: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    byline: str = ""
    link: str = ""
    partner_id: int | None = None
    extra: dict = field(default_factory=dict)


@dataclass
class Finding:
    code: str
    message: str
    field: str = ""
    severity: str = "error"  # error blocks sending; warning is shown only

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message), "field": self.field, "severity": self.severity}


class Formatter:
    """Turns content into the fields one channel kind needs, and checks fields against that kind's limits."""

    kind: ClassVar[str]
    fields: ClassVar[tuple[FieldSpec, ...]] = ()
    settings: ClassVar[tuple[Setting, ...]] = ()
    # Values the formatter works out itself from the fields (an SMS's number of parts) and stores with them:
    # never edited, but shown to people, so they need a label too.
    computed: ClassVar[dict[str, Any]] = {}

    def labels(self) -> dict[str, str]:
        """What people read for each stored value's name: the fields' labels and the computed values'."""
        return {spec.name: str(spec.label) for spec in self.fields} | {k: str(v) for k, v in self.computed.items()}

    def render(self, content: Content, channel_settings: dict) -> dict:
        raise NotImplementedError

    def clean_html(self, html: str) -> str:
        """An HTML field as this channel keeps it, applied to a hand edit as `render` applies it to the story (so an
        edit neither loses what the channel keeps, a web page's links, nor adds what it drops). The default keeps
        nh3's tags without attributes."""
        return nh3.clean(html or "", attributes={})

    def check(self, values: dict, channel_settings: dict) -> list[Finding]:
        found: list[Finding] = []
        for spec in self.fields:
            value = values.get(spec.name)
            if spec.required and not value:
                found.append(Finding("required", _("“%(f)s”不能为空。") % {"f": spec.label}, spec.name))
            if spec.items:
                count = len(value or [])
                if spec.max_items is not None and count > spec.max_items:
                    found.append(
                        Finding(
                            "too_many",
                            _("“%(f)s”最多 %(n)d 项，现有 %(c)d 项。")
                            % {"f": spec.label, "n": spec.max_items, "c": count},
                            spec.name,
                        )
                    )
                continue
            if spec.url and value and not is_web_url(value):
                found.append(Finding("invalid_url", _("“%(f)s”必须是 http:// 或 https:// 网址。") % {"f": spec.label},
                                     spec.name))  # fmt: skip
            if spec.max_length is not None and isinstance(value, str):
                length = self.measure(spec, value)
                if length > spec.max_length:
                    found.append(
                        Finding(
                            "too_long",
                            _("“%(f)s”最多 %(n)d 字，现有 %(c)d 字。")
                            % {"f": spec.label, "n": spec.max_length, "c": length},
                            spec.name,
                        )
                    )
        return found

    def measure(self, spec: FieldSpec, value: str) -> int:
        return len(value)

    def text_of(self, values: dict) -> str:
        """The readable text of a rendition, for proofreading."""
        from .text import html_to_text

        parts = []
        for spec in self.fields:
            value = values.get(spec.name)
            if isinstance(value, str):
                parts.append(html_to_text(value) if spec.html else value)
            elif isinstance(value, list) and not spec.name.endswith("images"):
                parts.extend(str(v) for v in value)
        return "\n".join(p for p in parts if p)


@dataclass
class Parcel:
    """Everything a transmitter needs for one send; built by the worker, no database access needed."""

    delivery_id: int
    idempotency_key: str
    action: str
    attempt: int
    channel_id: int
    channel_slug: str
    kind: str
    settings: dict = field(repr=False)  # secrets opened only in the sending thread; never in a log line
    fields: dict
    source_type: str
    source_id: int
    source_version: int
    publication_id: int
    rendition_id: int
    priority: int
    remote_ref: str = ""
    remote_url: str = ""
    enqueued_at: str = ""
    images: list[Image] = field(default_factory=list)  # the rendition's chosen images, as files


@dataclass
class Outcome:
    """A send went through (`done`), or was accepted and must be polled again later (`done=False`)."""

    done: bool = True
    remote_ref: str = ""
    remote_url: str = ""
    code: str = "ok"
    message: str = ""
    poll_after: float = 5.0
    # What the far end said about it, where it can tell (Transmitter.reports): it confirmed it has the message
    # (`received`); whether it reached its audience (`reach`: models.Reach — waiting, reached, unreached…).
    received: bool = False
    reach: str = ""
    # Per-recipient tracking (SMS gateways): [{"recipient": "138…", "remote_id": "gateway message id"}].
    recipients: list[dict] = field(default_factory=list)


class TransmitError(Exception):
    """A failed send. `permanent` ones (a 4xx-class answer, bad settings) are not retried.

    `message` is what everyone sees (a status in our words); `detail` is what the far end said, kept in the
    attempt log for admins only: a destination's error text is not ours to show editors.
    """

    permanent = False

    def __init__(self, message: str, code: str = "error", detail: str = "", received: bool = False, reach: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail
        # A far end can refuse after confirming receipt (a platform reporting 播发失败): kept on the delivery.
        self.received = received
        self.reach = reach


class PermanentError(TransmitError):
    permanent = True


class TemporaryError(TransmitError):
    permanent = False


class Transmitter:
    name: ClassVar[str]
    label: ClassVar[Any]
    settings: ClassVar[tuple[Setting, ...]] = ()
    supports_withdraw: ClassVar[bool] = False
    # Feeds and the journal pool are read by Tongpin itself: nothing leaves the machine.
    local: ClassVar[bool] = False
    # What the far end tells us beyond "sent": "received" (it confirmed it has the message) and/or "reached"
    # (whether it got to its audience). Shown per channel on the duty console and in the API.
    reports: ClassVar[tuple[str, ...]] = ()

    def send(self, parcel: Parcel) -> Outcome:
        raise NotImplementedError

    def withdraw(self, parcel: Parcel) -> Outcome:
        raise PermanentError(str(_("该渠道不支持撤回。")), "withdraw_unsupported")

    def check_settings(self, values: dict) -> list[tuple[str, str]]:
        """Extra checks beyond the declared settings: (setting name, message) pairs."""
        return []


FORMATTERS: dict[str, Formatter] = {}
TRANSMITTERS: dict[str, Transmitter] = {}


def register_formatter(cls: type[Formatter]) -> type[Formatter]:
    FORMATTERS[cls.kind] = cls()
    return cls


def register_transmitter(cls: type[Transmitter]) -> type[Transmitter]:
    TRANSMITTERS[cls.name] = cls()
    return cls


BUILT_IN = (
    "tongpin.publishing.channels.wechat",
    "tongpin.publishing.channels.social",
    "tongpin.publishing.channels.broadcast",
    "tongpin.publishing.channels.web",
    "tongpin.publishing.channels.short",
    "tongpin.publishing.channels.journal",
    "tongpin.publishing.channels.warnings",
    "tongpin.publishing.transmitters.filedrop",
    "tongpin.publishing.transmitters.webhook",
    "tongpin.publishing.transmitters.smtp",
    "tongpin.publishing.transmitters.local",
    "tongpin.publishing.transmitters.wechat",
    "tongpin.publishing.transmitters.ebplatform",
    "tongpin.publishing.transmitters.smsgateway",
    "tongpin.publishing.transmitters.warningpush",
)


def load_plugins() -> None:
    for module in BUILT_IN:
        import_module(module)
    for entry in entry_points(group="tongpin.channels"):
        try:
            entry.load()
        except Exception:  # a broken third-party plug-in must not take the service down
            log.exception("channel plug-in %s failed to load", entry.name)


def formatter_for(kind: str) -> Formatter:
    return FORMATTERS[kind]

