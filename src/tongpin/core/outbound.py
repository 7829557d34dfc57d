"""Connections to destinations an admin typed in (channel webhooks, SMTP servers, the WeChat API).

A destination's name is resolved once, every address it resolves to is judged, and the connection is then
made to the judged address itself (never by name again), so a name that answers differently a second later
(DNS rebinding) cannot steer the connection elsewhere. Only public addresses pass, unless the station lists a
private network in TONGPIN_OUTBOUND_ALLOW (CIDRs): loopback, private ranges, link-local (cloud metadata at
169.254.169.254), carrier-grade NAT, multicast and the unspecified address are refused by default.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Replaced in tests, to judge names without asking DNS: a getaddrinfo-like callable.
resolver: Callable = socket.getaddrinfo


class DestinationRefused(Exception):
    """The destination resolves to an address outbound connections may not reach (or does not resolve)."""

    def __init__(self, host: str, reason: str, address: str = ""):
        super().__init__(f"{host}: {reason}")
        self.host = host
        self.reason = reason  # "private" or "unresolved"
        self.address = address


@lru_cache(maxsize=8)
def _parse_allowed(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(f"TONGPIN_OUTBOUND_ALLOW: {entry!r} is not a network (CIDR)") from error
    return tuple(networks)


def allowed_networks() -> tuple[IPNetwork, ...]:
    return _parse_allowed(tuple(getattr(settings, "TONGPIN_OUTBOUND_ALLOW", ()) or ()))


def permitted(address: str | IPAddress) -> bool:
    """May an outbound connection go to this address? Public addresses, and those an admin allow-listed."""
    ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if any(ip in network for network in allowed_networks()):
        return True
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """The address to connect to for host:port, judged; DestinationRefused if any address it has is not
    permitted (a name that also points inside is not to be trusted) or if it does not resolve."""
    name = host.strip("[]")
    try:
        answers = resolver(name, port, 0, socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise DestinationRefused(host, "unresolved") from error
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in answers:
        address = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone
        if not permitted(address):
            raise DestinationRefused(host, "private", address)
        addresses.append(address)
    if not addresses:
        raise DestinationRefused(host, "unresolved")
    return addresses[0]


def connect(host: str, port: int, timeout: float | None = None, source_address=None) -> socket.socket:
    """A TCP connection to host:port, made to the address that was judged (see `resolve`)."""
    address = resolve(host, port)
    if timeout is None:
        return socket.create_connection((address, port), source_address=source_address)
    return socket.create_connection((address, port), timeout, source_address)


SECRET_QUERY = re.compile(r"((?:secret|access_token|appsecret|password|key|token)=)[^&#\s]*", re.IGNORECASE)


def redact(text: str) -> str:
    """`text` with credentials in query strings masked (WeChat puts its AppSecret and tokens there)."""
    return SECRET_QUERY.sub(r"\1***", text)
