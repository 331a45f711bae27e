"""`run.py init`: publish the shipped approval chains the database does not have yet."""
from __future__ import annotations

from app.workflow import hooks  # noqa: F401  (document locks and deactivation listeners)
from app.workflow.publishing import seed_from_directory


def initialise() -> list[str]:
    return seed_from_directory()
