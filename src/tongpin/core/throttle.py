"""Slowing down password guessing: failed sign-ins are counted per account name and per client address.

Counting by the name typed, whether or not such an account exists, keeps the answer the same for both.
The counters live in the cache (process memory on the embedded default, Redis at scale).
"""

import hashlib
import time

from django.core.cache import cache

WINDOW_SECONDS = 15 * 60
MAX_PER_NAME = 5
MAX_PER_ADDRESS = 30


def _keys(username: str, ip: str | None) -> list[tuple[str, int]]:
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    keys = [(f"tongpin:login-fail:name:{name}", MAX_PER_NAME)]
    if ip:
        keys.append((f"tongpin:login-fail:ip:{ip}", MAX_PER_ADDRESS))
    return keys


def is_locked(username: str, ip: str | None) -> bool:
    return any((cache.get(key) or 0) >= limit for key, limit in _keys(username, ip))


def record_failure(username: str, ip: str | None) -> None:
    for key, _limit in _keys(username, ip):
        if cache.add(key, 1, WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, WINDOW_SECONDS)


def rate_limited(name: str, who: object, limit: int, window_seconds: int) -> int:
    """Count one use of `name` by `who` in the current window (a fixed window in the shared cache); answer 0
    while within `limit`, else the seconds until the window ends."""
    window = int(time.time()) // window_seconds
    key = f"tongpin:rate:{name}:{who}:{window}"
    if not cache.add(key, 1, window_seconds + 1):
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, window_seconds + 1)
            used = 1
        if used > limit:
            return max(1, (window + 1) * window_seconds - int(time.time()))
    return 0


def clear(username: str) -> None:
    cache.delete(_keys(username, None)[0][0])
