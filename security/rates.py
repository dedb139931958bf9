"""Request budgets counted in the shared cache: the API's per-caller throttle and the web forms'
per-address limit.

Each caller has one counter per fixed window (a minute, an hour...), aligned to the clock. A
request costs one incr whatever the rate (a window's first, an add), where DRF's stock throttle
rewrites the whole list of the window's request times (600 of them at the default API rate);
incr is atomic, and keeps the counter's time to live, on both caches the settings configure
(Redis, and diskcache without it). A caller may spend one window's budget at its very end and the
next one's at once."""

import time

from django.core.cache import cache


def spend(key: str, window_seconds: int) -> tuple[int, float]:
    """Counts one more request under ``key`` in the current window. Returns how many the window
    has counted, this one included, and the seconds until it ends."""
    now = time.time()
    window = int(now // window_seconds)
    counter = f"rate:{key}:{window}"
    left = (window + 1) * window_seconds - now
    try:
        spent = cache.incr(counter)  # one operation for every request but a window's first
    except ValueError:  # the window's first request, or another process's is being counted
        spent = 1 if cache.add(counter, 1, timeout=window_seconds + 1) else cache.incr(counter)
    return spent, left
