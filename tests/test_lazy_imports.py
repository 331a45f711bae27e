"""A web process does not load what only some commands or features use: Flask-Migrate (Alembic,
Mako), the CEL condition language (celpy, lark) and the second factor's TOTP and QR code (pyotp,
segno) are imported when a migration runs, a condition is compiled, or a second factor is set up
— and those still work. cryptography and Pillow, which the frameworks import only in case (PyJWT's
RSA keys, redis-py's OCSP check, FAB's image fields), are left out while they load
(app.LOADED_ON_USE) and import normally afterwards where the app uses them (attachment
thumbnails); signing in through the API (JWT) still works. Nor does a web process load the
spreadsheet, PDF and test-only packages."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAZY = ("flask_migrate", "alembic", "celpy", "lark", "pyotp", "segno", "cryptography", "PIL", "openpyxl", "xhtml2pdf",
        "reportlab", "pypdf", "pyhanko", "hypothesis")

STARTED = r"""
import json, sys
import app
application = app.create_app()
client = application.test_client()
assert client.get("/login/").status_code == 200
loaded = sorted(name for name in %r if name in sys.modules)
# The API's tokens are signed and read without cryptography (HMAC).
from flask_jwt_extended import create_access_token, decode_token
with application.app_context():
    assert decode_token(create_access_token(identity="42"))["sub"] == "42"
# What was left out at start imports as usual when a feature uses it.
import io
from PIL import Image
from cryptography.fernet import Fernet
Image.new("RGB", (2, 2)).save(io.BytesIO(), "PNG")
key = Fernet.generate_key()
assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"
print(json.dumps(loaded))
"""


def test_the_web_app_starts_and_serves_without_the_lazily_loaded_packages(app):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env = dict(os.environ, DATABASE_URL=uri, LOG_LEVEL="ERROR")
    done = subprocess.run([sys.executable, "-c", STARTED % (LAZY,)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_condition_compiles_and_evaluates_with_the_language_loaded_on_use():
    from app.workflow.conditions import ConditionError, compile_condition

    condition = compile_condition("doc.amount > 1000 && submitter.department == '销售部'")
    assert condition.evaluate({"doc": {"amount": 5000}, "submitter": {"department": "销售部"}, "step": {}}) is True
    assert condition.evaluate({"doc": {"amount": 10}, "submitter": {"department": "销售部"}, "step": {}}) is False
    assert "celpy" in sys.modules
    try:
        compile_condition("doc.amount >")
    except ConditionError:
        pass
    else:
        raise AssertionError("a broken condition compiled")


def test_the_migration_commands_still_run(app, tmp_path):
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env = dict(os.environ, DATABASE_URL=uri, LOG_LEVEL="ERROR")
    done = subprocess.run([sys.executable, "run.py", "db", "heads"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "(head)" in done.stdout
    done = subprocess.run([sys.executable, "run.py", "db", "current"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
