"""Where an upload waits between its check and its import, and what is known of it.

An upload is checked in the web process, then imported there or by a worker that may run on
another machine: the checked file goes to the file store (imports/<token>.<fmt>), and each process
reads it from a local copy. Its state (module, uploader, file name, status, progress, problems)
lives in Redis for a week; an upload belongs to the user who sent it.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import time
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core.importing.files import CHUNK, ImportFileError, check_file, file_format
from app.core.jobs import redis_connection

MAX_UPLOAD_BYTES = 64 * 1024 * 1024
STATE_TTL = 7 * 24 * 3600


def upload_dir() -> Path:
    folder = Path(current_app.config["INSTANCE_DIR"]) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _state_key(token: str) -> str:
    return f"zwt:import:{token}"


def _store_key(name: str) -> str:
    return f"imports/{name}"


def _purge_old_uploads(folder: Path) -> None:
    """Uploads that were previewed and never imported do not stay for ever."""
    limit = time.time() - STATE_TTL
    for path in folder.glob("*.*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
        except OSError:
            continue


# -- the file --------------------------------------------------------------------------------
def keep_upload(path: Path) -> None:
    """Put a checked upload into the file store, where any process finds it."""
    from app.core.files import store

    with open(path, "rb") as fh:
        store().put(fh, key=_store_key(path.name))


def local_upload(folder: Path, name: str) -> Path:
    """The upload `name` as a file of this machine: the local copy, or fetched from the file
    store when another process received it. A file in neither place is a path that does not exist."""
    from app.core.files import FileMissing, store

    path = folder / name
    if path.exists():
        return path
    part = folder / f".{name}.{os.getpid()}.part"
    try:
        with store().open(_store_key(name)) as source, open(part, "wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
    except FileMissing:
        part.unlink(missing_ok=True)
        return path
    os.replace(part, path)
    return path


def drop_upload(folder: Path, name: str) -> None:
    """Forget an upload here and in the file store."""
    from app.core.files import store

    (folder / name).unlink(missing_ok=True)
    store().delete(_store_key(name))


def save_upload(spec, actor, storage) -> dict:
    """Store an uploaded file for checking and importing into module `spec`; returns its state
    (token, name, format). Raises ImportFileError for a wrong type or an oversized or empty file."""
    filename = Path(storage.filename or "").name
    fmt = file_format(filename)
    token = secrets.token_urlsafe(16)
    folder = upload_dir()
    _purge_old_uploads(folder)
    path = folder / f"{token}.{fmt}"
    size = 0
    with open(path, "wb") as out:
        while True:
            chunk = storage.stream.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                out.close()
                path.unlink(missing_ok=True)
                raise ImportFileError("import.import_too_large",
                                      _("The file is larger than %(mb)d MB.", mb=MAX_UPLOAD_BYTES // (1024 * 1024)),
                                      field="file")
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise ImportFileError("import.import_empty", _("The file is empty."), field="file")
    try:
        check_file(path, fmt)
    except ImportFileError:
        path.unlink(missing_ok=True)
        raise
    keep_upload(path)   # a worker on another machine reads it from the file store
    state = {"token": token, "module": spec.name, "user_id": actor.id, "filename": filename, "fmt": fmt,
             "status": "uploaded", "rows": 0, "processed": 0, "created": 0, "error_rows": 0, "problems": [],
             "message": ""}
    save_state(state)
    return state


def discard_upload(state: dict) -> None:
    """Forget an upload that will not be imported (its file could not be read)."""
    drop_upload(upload_dir(), f"{state['token']}.{state['fmt']}")
    redis_connection().delete(_state_key(state["token"]))


def upload_path(state: dict) -> Path:
    return local_upload(upload_dir(), f"{state['token']}.{state['fmt']}")


# -- its state ---------------------------------------------------------------------------------
def save_state(state: dict) -> None:
    redis_connection().set(_state_key(state["token"]), json.dumps(state, ensure_ascii=False), ex=STATE_TTL)


def load_state(token: str, actor=None, module: str | None = None) -> dict | None:
    """The state of an import; with `actor`, only if it is theirs; with `module`, only if it
    imports into that module."""
    if not token or len(token) > 64:
        return None
    raw = redis_connection().get(_state_key(token))
    if raw is None:
        return None
    state = json.loads(raw)
    if actor is not None and state.get("user_id") != actor.id:
        return None
    if module is not None and state.get("module") != module:
        return None
    return state


def claim_commit(state: dict) -> bool:
    """True for the one request that may import this upload (a double click sends two)."""
    return bool(redis_connection().set(_state_key(state["token"]) + ":claimed", "1", nx=True, ex=STATE_TTL))


def release_commit(state: dict) -> None:
    """After an import that wrote nothing, the corrected situation may be imported again."""
    redis_connection().delete(_state_key(state["token"]) + ":claimed")
