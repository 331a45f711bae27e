"""The file store, on both backends: what goes in comes out, identical content is stored once,
a stream past the limit leaves nothing behind."""
from __future__ import annotations

import hashlib
import io
import os

import pytest

from app.core.files import FileMissing, FileTooLarge, LocalFileStore, S3FileStore, store_from_config


def test_a_stored_file_reads_back_and_is_addressed_by_its_content(any_store_config):
    files = store_from_config(any_store_config)
    data = os.urandom(3 * 1024 * 1024 + 17)   # more than one chunk
    key = files.put(io.BytesIO(data))
    assert key == hashlib.sha256(data).hexdigest()
    assert files.exists(key)
    assert files.size(key) == len(data)
    assert files.read(key) == data
    with files.open(key) as handle:
        assert handle.read(5) == data[:5]


def test_identical_content_is_stored_once(any_store_config):
    files = store_from_config(any_store_config)
    first = files.put(io.BytesIO(b"the same contract scan"))
    second = files.put(io.BytesIO(b"the same contract scan"))
    assert first == second
    if isinstance(files, LocalFileStore):
        stored = [p for p in files.root.rglob("*") if p.is_file() and ".tmp" not in p.parts]
        assert len(stored) == 1
        assert not list((files.root / ".tmp").iterdir())
    else:
        listing = files.client.list_objects_v2(Bucket=files.bucket)
        assert [o["Key"] for o in listing.get("Contents", [])] == [f"files/{first}"]


def test_a_deleted_file_is_gone(any_store_config):
    files = store_from_config(any_store_config)
    key = files.put(io.BytesIO(b"to be removed"))
    files.delete(key)
    assert not files.exists(key)
    with pytest.raises(FileMissing):
        files.read(key)
    with pytest.raises(FileMissing):
        files.size(key)
    files.delete(key)   # deleting twice is harmless


def test_a_named_key_holds_what_the_caller_put_there(any_store_config):
    files = store_from_config(any_store_config)
    key = files.put(io.BytesIO(b"%PDF-1.4 merged"), key="print/batch-1.pdf", content_type="application/pdf")
    assert key == "print/batch-1.pdf"
    assert files.read(key) == b"%PDF-1.4 merged"


def test_a_stream_past_the_limit_is_refused_and_leaves_nothing(any_store_config, tmp_path):
    files = store_from_config(any_store_config)

    class Endless(io.RawIOBase):
        """A 2 GB upload, never held: the store must stop reading after the limit."""
        read_so_far = 0

        def readable(self):
            return True

        def read(self, n=-1):
            n = 1024 * 1024 if n is None or n < 0 else n
            if self.read_so_far >= 2 * 1024 ** 3:
                return b""
            self.read_so_far += n
            return b"\0" * n

    stream = Endless()
    with pytest.raises(FileTooLarge):
        files.put(stream, max_bytes=5 * 1024 * 1024)
    assert stream.read_so_far <= 7 * 1024 * 1024
    if isinstance(files, LocalFileStore):
        assert [p for p in files.root.rglob("*") if p.is_file()] == []
    else:
        assert files.client.list_objects_v2(Bucket=files.bucket).get("KeyCount", 0) == 0


def test_keys_cannot_leave_the_store(tmp_path):
    files = LocalFileStore(tmp_path / "files")
    for bad in ("../secret_key", "/etc/passwd", "a/../../b", "a b", "-rf"):
        with pytest.raises(ValueError):
            files.exists(bad)


def test_the_backend_follows_file_store(tmp_path):
    assert isinstance(store_from_config({"FILE_STORE": "", "INSTANCE_DIR": str(tmp_path)}), LocalFileStore)
    s3 = store_from_config({"FILE_STORE": "s3://bucket/some/prefix", "FILE_STORE_ENDPOINT": "http://x:9000",
                            "INSTANCE_DIR": str(tmp_path)})
    assert isinstance(s3, S3FileStore)
    assert (s3.bucket, s3.prefix, s3.endpoint_url) == ("bucket", "some/prefix", "http://x:9000")


def test_readiness_checks_the_configured_store(any_store_config):
    from app.core.health import check_store

    check_store(any_store_config)
    broken = dict(any_store_config)
    if broken["FILE_STORE"]:
        broken["FILE_STORE"] = "s3://no-such-bucket-here/x"
    else:
        blocker = os.path.join(broken["INSTANCE_DIR"], "blocker")
        open(blocker, "w").close()
        broken["INSTANCE_DIR"] = blocker
    with pytest.raises(Exception):
        check_store(broken)
