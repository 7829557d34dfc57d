"""Channel credentials at rest: every setting a plug-in declares `kind="secret"` is stored sealed with the data key
(`core.datakey`) and opened only where it is used — the worker's parcel, the WeChat data sync, a private feed's
key check. Pages, the API, the audit log and logs only ever see that a secret is set.

`Channel.save()` seals whatever secret arrives in plaintext, so every way in (pages, API, admin, demo data, a
test's `objects.create`) stores it sealed; migration `0006_seal_channel_secrets` sealed those stored before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tongpin.core import datakey

from .plugins import FORMATTERS, TRANSMITTERS

if TYPE_CHECKING:
    from .models import Channel


def context(name: str) -> str:
    return f"channel-setting:{name}"


def secret_names(kind: str, transmitter: str) -> set[str]:
    found = set()
    for plugin in (FORMATTERS.get(kind), TRANSMITTERS.get(transmitter)):
        if plugin is not None:
            found |= {s.name for s in plugin.settings if s.secret}
    return found


def seal_settings(kind: str, transmitter: str, values: dict) -> dict:
    """`values` with each non-empty secret sealed (sealed ones stay as they are)."""
    names = secret_names(kind, transmitter)
    return {
        key: datakey.seal(str(value), context(key)) if key in names and value not in (None, "") else value
        for key, value in (values or {}).items()
    }


def reveal(channel: Channel) -> dict:
    """The channel's settings with secrets opened: only for the code that sends (never shown, never logged)."""
    return reveal_settings(channel.kind, channel.transmitter, channel.settings)


def reveal_settings(kind: str, transmitter: str, values: dict) -> dict:
    names = secret_names(kind, transmitter)
    return {
        key: datakey.unseal(value, context(key)) if key in names and isinstance(value, str) else value
        for key, value in (values or {}).items()
    }


def reveal_one(channel: Channel, name: str) -> str:
    value = channel.settings.get(name) or ""
    return datakey.unseal(value, context(name)) if isinstance(value, str) else value


# --- the store, for `tongpin keys` ----------------------------------------------------------------------------


def _channels():
    from .models import Channel

    return Channel.objects.order_by("pk")


def _key_ids() -> list[str]:
    ids = []
    for channel in _channels().only("kind", "transmitter", "settings"):
        for name in secret_names(channel.kind, channel.transmitter):
            value = channel.settings.get(name)
            if value not in (None, ""):
                ids.append(datakey.sealed_key_id(value))
    return ids


def _reseal(rewrite: Callable[[str, str], str]) -> int:
    from .models import Channel

    count = 0
    for channel in _channels().select_for_update():
        names = secret_names(channel.kind, channel.transmitter)
        values = dict(channel.settings)
        for name in names:
            value = values.get(name)
            if isinstance(value, str) and value:
                new = rewrite(value, context(name))
                if new != value:
                    values[name] = new
                    count += 1
        if values != channel.settings:
            Channel.objects.filter(pk=channel.pk).update(settings=values)
    return count


STORE = datakey.Store("channel_settings", _key_ids, _reseal)
