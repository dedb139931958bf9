"""The mergeable median sketch of the daily aggregates: a duration in seconds falls in a
log-spaced bin, bin k >= 1 holding [BASE**(k-1), BASE**k), bin 0 everything under a second
either way and bin -k the mirror of bin k. A group's histogram is the count per bin; merging
groups (days, months, sources, reps) adds the counts, and the median is read from the merged
counts, each value taken as its bin's geometric middle.

Error bound: a value and its bin's middle differ by at most sqrt(BASE) - 1 = 1.98 %, so a
median read here is within ±2 % of the exact median (of the mean of the two middle values for
an even count), or within 1 second of it below a second. Counts are never approximated.
"""

from __future__ import annotations

import math

BASE = 1.04
RELATIVE_ERROR = math.sqrt(BASE) - 1  # 0.0198


def bin_of(seconds: float) -> int:
    """The bin of a duration (what insights.sql.bin_sql computes in SQL)."""
    if seconds >= 1:
        return 1 + math.floor(math.log(seconds) / math.log(BASE))
    if seconds <= -1:
        return -1 - math.floor(math.log(-seconds) / math.log(BASE))
    return 0


def value_of(k: int) -> float:
    """The geometric middle of bin k, in seconds."""
    if k == 0:
        return 0.0
    middle = BASE ** (abs(k) - 0.5)
    return middle if k > 0 else -middle


def median(counts: dict[int, int]) -> float | None:
    """The median of a histogram (bin -> count), in seconds; None when it is empty."""
    n = sum(counts.values())
    if not n:
        return None
    ranks, found, seen = ((n - 1) // 2, n // 2), [], 0
    for k in sorted(counts):
        seen += counts[k]
        while len(found) < 2 and seen > ranks[len(found)]:
            found.append(value_of(k))
        if len(found) == 2:
            break
    return (found[0] + found[1]) / 2
