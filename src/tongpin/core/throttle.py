"""Rate limits for expensive endpoints, counted in the shared cache (process memory on the embedded default, Redis
at scale via TONGPIN_REDIS_URL). Sign-in throttling is django-axes' job (core.signin)."""

import time

from django.core.cache import cache


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
