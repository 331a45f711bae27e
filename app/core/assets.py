"""Static assets: fingerprinted URLs, long cache lifetimes and compressed responses."""
from __future__ import annotations


def install(app) -> None:
    """Set up asset fingerprints, cache headers and compression on `app`."""
