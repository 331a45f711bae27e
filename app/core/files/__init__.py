"""Files: the content-addressed file store and record attachments (附件).

Stable interface for other parts of the app (printing stores merged PDFs through it):

    from app.core.files import store
    key = store().put(stream)            # → the content's SHA-256 (stored once)
    key = store().put(stream, key="print/batch-42.pdf")   # or a key of your choosing
    with store().open(key) as f: ...     # also .read(key), .exists(key), .size(key), .delete(key)

`store()` is the backend the app's config names (FILE_STORE: empty → <instance>/files, a folder
path, or s3://bucket/prefix), made once per process and config; `store(config)` outside an app
context (CLI, health check).
"""
from __future__ import annotations

from app.core.files.store import (FileMissing, FileStore, FileTooLarge, LocalFileStore, S3FileStore, Spooled,
                                  store_from_config)

__all__ = ["store", "FileStore", "FileMissing", "FileTooLarge", "LocalFileStore", "S3FileStore", "Spooled",
           "store_from_config"]

_stores: dict = {}


def store(config=None) -> FileStore:
    if config is None:
        from flask import current_app

        config = current_app.config
    ident = (config.get("FILE_STORE") or "", config.get("FILE_STORE_ENDPOINT") or "", config.get("INSTANCE_DIR"))
    found = _stores.get(ident)
    if found is None:
        found = _stores[ident] = store_from_config(config)
    return found
