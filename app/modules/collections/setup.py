"""`run.py init`: the shipped collection reminder rules (催收提醒), where the database has none yet (an admin's
rules are kept)."""
from __future__ import annotations


def initialise() -> None:
    from app.core.transaction import unit_of_work
    from app.modules.collections.dunning import install_defaults

    with unit_of_work(None):
        install_defaults()
