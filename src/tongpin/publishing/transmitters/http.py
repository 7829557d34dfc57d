"""HTTP for transmitters: one pooled, thread-safe urllib3 client, no automatic retries or redirects (the queue
retries, with backoff), timeouts always set. urllib3 rather than a higher-level client: it costs half the CPU
per request, and a worker spends most of its time here."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

import urllib3
from django.utils.translation import gettext as _

from ..plugins import TemporaryError

_pool = urllib3.PoolManager(num_pools=64, maxsize=16, block=False, retries=False, headers={"User-Agent": "Tongpin/1"})


@dataclass
class Reply:
    status: int
    headers: dict
    data: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def request(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    fields: dict | None = None,
    params: dict | None = None,
    headers: dict | None = None,
    timeout: float = 10,
) -> Reply:
    """Send one request; a timeout or a connection failure raises TemporaryError (retried by the queue)."""
    if params:
        url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
    try:
        if fields is not None:
            response = _pool.request(method, url, fields=fields, headers=headers, timeout=timeout, redirect=False)
        else:
            response = _pool.request(method, url, body=body, headers=headers, timeout=timeout, redirect=False)
    except urllib3.exceptions.NewConnectionError as error:  # (a subclass of the timeout error in urllib3 2)
        raise TemporaryError(_("无法连接：%(e)s") % {"e": "connection refused"}, "unreachable") from error
    except (urllib3.exceptions.TimeoutError, TimeoutError) as error:
        raise TemporaryError(_("对方在 %(s)s 秒内没有应答。") % {"s": timeout}, "timeout") from error
    except urllib3.exceptions.HTTPError as error:
        raise TemporaryError(_("无法连接：%(e)s") % {"e": error.__class__.__name__}, "unreachable") from error
    return Reply(response.status, dict(response.headers), response.data)
