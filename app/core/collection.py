"""Garbage collection of a web process: full collections between requests, not inside one.

Once the app is loaded, what loading made is frozen (gc.freeze): it lives as long as the process.
What requests make afterwards — compiled statements, kept values, and the cyclic garbage that
survives the young generations — gathers in the oldest generation, and CPython's own full
collections walk it all in the middle of whichever request set them off: 10 ms early in a
process's life, 200–300 ms after a few thousand requests (p95 outliers of every list page). So
automatic full collections are switched off and the process runs one itself after every
FULL_EVERY requests (ZWT_GC_FULL_EVERY, 200; 0 keeps CPython's own), once the response has gone
(gunicorn's post_request; bench/bench_pages.py between its timed requests). The young generations
are collected as before, so short-lived cycles are freed at once.
"""
from __future__ import annotations

import gc
import os

# A gen-2 threshold no process reaches: CPython starts a full collection after this many
# collections of generation 1.
_NEVER = 1 << 30


def full_every() -> int:
    return int(os.environ.get("ZWT_GC_FULL_EVERY", "200"))


def after_load() -> None:
    """The app is loaded: freeze what it made; full collections from now on between requests."""
    gc.freeze()
    if full_every() > 0:
        young, middle, _old = gc.get_threshold()
        gc.set_threshold(young, middle, _NEVER)


def after_request(served: int) -> bool:
    """Called with the number of requests served, after each has been answered: True when it ran a
    full collection."""
    every = full_every()
    if every > 0 and served % every == 0:
        gc.collect()
        return True
    return False
