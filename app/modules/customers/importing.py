"""Importing customers: the frame's import (app/core/importing) with the customers' own rules
(import_rules.py), for the CLI, jobs and tests that import a file as a given user."""
from __future__ import annotations

from pathlib import Path

from app.core.importing import run as _run
from app.core.importing.columns import columns_of
from app.core.importing.files import ImportFileError  # noqa: F401
from app.core.importing.job import import_job  # noqa: F401
from app.core.importing.run import ImportResult, RowProblem, read_ahead  # noqa: F401
from app.core.importing.state import (claim_commit, load_state, release_commit, save_state,  # noqa: F401
                                      upload_dir as _upload_dir, upload_path)
from app.modules.customers.import_rules import FIELDS  # noqa: F401

BATCH = _run.BATCH


def _spec():
    from app.core.registry import registry

    return registry.get("customers")


def _column(field_name: str):
    return next(c for c in columns_of(_spec()) if c.name == field_name)


def header_of(field_name: str) -> str:
    """The column header of a field in the current language (负责人(用户名) for the owner)."""
    return _column(field_name).header()


def headers() -> list[str]:
    return [c.header() for c in columns_of(_spec())]


def choice_label(field_name: str, value: str) -> str:
    return str(dict(_column(field_name).choices)[value])


def run_import(actor, path: Path, fmt: str, commit: bool, progress=None) -> ImportResult:
    """Check every row of the file and, with `commit`, create all its customers in one
    transaction, or none if any row has a problem (see app/core/importing/run.py)."""
    return _run.run_import(_spec(), actor, path, fmt, commit, progress=progress, batch_size=BATCH)


def start_background_import(actor, state: dict) -> dict:
    """Hand a file to the job queue to be imported as customers."""
    from app.core.importing.job import start_background_import as start

    state.setdefault("module", "customers")
    return start(actor, state)
