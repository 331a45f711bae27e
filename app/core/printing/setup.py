"""`run.py init`: the shipped templates of every declared document, for those without any."""
from __future__ import annotations


def initialise() -> list[str]:
    from app.core.printing.service import seed_shipped

    return seed_shipped()
