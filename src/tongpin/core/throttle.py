"""Slowing down password guessing: failed sign-ins are counted per account name and per client address.

Counting by the name typed, whether or not such an account exists, keeps the answer the same for both.
The counters live in the cache (process memory on the embedded default, Redis at scale).
"""

import hashlib

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


def clear(username: str) -> None:
    cache.delete(_keys(username, None)[0][0])
