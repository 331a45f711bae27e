"""The file store: one interface, two backends (a folder under the instance directory, or any
S3-compatible object store).

Content addressed: `put` reads a stream once, hashing it (SHA-256) while it spools it to a
temporary file with a running byte count, and stores it under its hash — identical content is
stored once. A `max_bytes` limit is checked while reading, so an over-large stream is refused
after `max_bytes + 1` bytes, without filling memory or the disk.

Keys are the SHA-256 hex digest for content, or a name chosen by the caller (`put(..., key=…)`)
such as `thumbs/<sha>.png`; a key is letters, digits and `/ . _ -`, never `..`.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,250}$")
_SHA = re.compile(r"^[0-9a-f]{64}$")


class FileTooLarge(Exception):
    """The stream passed the size limit; nothing was stored."""

    def __init__(self, limit: int):
        super().__init__(f"more than {limit} bytes")
        self.limit = limit


class FileMissing(Exception):
    """No file under this key."""


@dataclass
class Spooled:
    """A stream read once into a temporary file: its path, SHA-256, size and first bytes."""

    path: Path
    sha256: str
    size: int
    head: bytes

    def discard(self) -> None:
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


def check_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.match(key) or ".." in key or "//" in key:
        raise ValueError(f"bad file store key: {key!r}")
    return key


def spool(stream: BinaryIO, *, max_bytes: int | None = None, folder: str | os.PathLike | None = None,
          head_size: int = 8192) -> Spooled:
    """Copy `stream` into a temporary file in `folder`, hashing and counting; raise FileTooLarge
    (and leave nothing behind) as soon as more than `max_bytes` were read."""
    if folder is not None:
        Path(folder).mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix="upload-", suffix=".part", dir=folder)
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with os.fdopen(fd, "wb") as out:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise FileTooLarge(max_bytes)
                if len(head) < head_size:
                    head += chunk[: head_size - len(head)]
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass
        raise
    return Spooled(Path(name), digest.hexdigest(), size, head)


class FileStore(Protocol):
    """What every backend offers. Keys come from `put` (the content's SHA-256) or the caller."""

    def put(self, stream: BinaryIO, *, key: str | None = None, max_bytes: int | None = None,
            content_type: str | None = None) -> str: ...
    def put_spooled(self, spooled: Spooled, *, key: str | None = None, content_type: str | None = None) -> str: ...
    def spool(self, stream: BinaryIO, *, max_bytes: int | None = None) -> Spooled: ...
    def put_bytes(self, data: bytes, *, key: str | None = None, content_type: str | None = None) -> str: ...
    def open(self, key: str) -> BinaryIO: ...
    def read(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...
    def size(self, key: str) -> int: ...
    def check(self) -> None: ...


class _Base:
    tmp_folder: str | None = None

    def spool(self, stream: BinaryIO, *, max_bytes: int | None = None) -> Spooled:
        return spool(stream, max_bytes=max_bytes, folder=self.tmp_folder)

    def put(self, stream: BinaryIO, *, key: str | None = None, max_bytes: int | None = None,
            content_type: str | None = None) -> str:
        """Store the stream; return its key (its SHA-256 unless `key` is given)."""
        spooled = self.spool(stream, max_bytes=max_bytes)
        try:
            return self.put_spooled(spooled, key=key, content_type=content_type)
        finally:
            spooled.discard()

    def put_bytes(self, data: bytes, *, key: str | None = None, content_type: str | None = None) -> str:
        import io

        return self.put(io.BytesIO(data), key=key, content_type=content_type)

    def read(self, key: str) -> bytes:
        with self.open(key) as handle:
            return handle.read()


class LocalFileStore(_Base):
    """A folder (default: <instance>/files). Content keys are fanned out as ab/cd/abcd…; files are
    written to a temporary name in the same folder and renamed, so a reader never sees half a file."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.tmp_folder = str(self.root / ".tmp")

    def describe(self) -> str:
        return f"folder {self.root}"

    def _path(self, key: str) -> Path:
        check_key(key)
        if _SHA.match(key):
            return self.root / key[:2] / key[2:4] / key
        return self.root / key

    def put_spooled(self, spooled: Spooled, *, key: str | None = None, content_type: str | None = None) -> str:
        key = check_key(key or spooled.sha256)
        target = self._path(key)
        if key == spooled.sha256 and target.exists():
            return key   # the same content is already there
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(f".{target.name}.{os.getpid()}.part")
        shutil.copyfile(spooled.path, part)
        os.replace(part, target)
        return key

    def open(self, key: str) -> BinaryIO:
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise FileMissing(key) from None

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise FileMissing(key) from None

    def check(self) -> None:
        import socket

        self.root.mkdir(parents=True, exist_ok=True)
        probe = self.root / f".readyz-{socket.gethostname()}-{os.getpid()}"
        probe.write_bytes(b"ok")
        try:
            if probe.read_bytes() != b"ok":
                raise OSError("the file store returned other bytes than written")
        finally:
            probe.unlink(missing_ok=True)


class S3FileStore(_Base):
    """Any S3-compatible object store: FILE_STORE=s3://bucket/prefix; the endpoint from
    FILE_STORE_ENDPOINT (empty: AWS), keys and region from AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION. boto3 is imported on first use only."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None,
                 region: str | None = None, access_key: str | None = None, secret_key: str | None = None,
                 tmp_folder: str | None = None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint_url = endpoint_url or None
        self.region = region or None
        self.access_key = access_key or None
        self.secret_key = secret_key or None
        self.tmp_folder = tmp_folder
        self._client = None

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def client(self):
        if self._client is None:
            import boto3
            from botocore.config import Config

            self._client = boto3.session.Session().client(
                "s3", endpoint_url=self.endpoint_url, region_name=self.region,
                aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
                config=Config(connect_timeout=5, read_timeout=60, retries={"max_attempts": 3},
                              s3={"addressing_style": "path"}))
        return self._client

    def _name(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _head(self, key: str):
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise

    def put_spooled(self, spooled: Spooled, *, key: str | None = None, content_type: str | None = None) -> str:
        key = check_key(key or spooled.sha256)
        if key == spooled.sha256 and self._head(key) is not None:
            return key
        extra = {"ContentType": content_type or "application/octet-stream"}
        self.client.upload_file(str(spooled.path), self.bucket, self._name(key), ExtraArgs=extra)
        return key

    def open(self, key: str) -> BinaryIO:
        from botocore.exceptions import ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise FileMissing(key) from None
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def exists(self, key: str) -> bool:
        return self._head(key) is not None

    def size(self, key: str) -> int:
        head = self._head(key)
        if head is None:
            raise FileMissing(key)
        return int(head["ContentLength"])

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)


def store_from_config(config) -> FileStore:
    """The backend FILE_STORE names: empty or a path → a folder; s3://bucket/prefix → S3."""
    url = (config.get("FILE_STORE") or "").strip()
    if url.startswith("s3://"):
        rest = url[len("s3://"):]
        bucket, _, prefix = rest.partition("/")
        return S3FileStore(bucket, prefix, endpoint_url=config.get("FILE_STORE_ENDPOINT"),
                           region=config.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
                           access_key=config.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_ACCESS_KEY_ID"),
                           secret_key=config.get("AWS_SECRET_ACCESS_KEY") or os.environ.get("AWS_SECRET_ACCESS_KEY"))
    if url.startswith("file://"):
        url = url[len("file://"):]
    root = Path(url) if url else Path(config["INSTANCE_DIR"]) / "files"
    return LocalFileStore(root)
