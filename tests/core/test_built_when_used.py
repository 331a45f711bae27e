"""A web process builds a screen's filter tables and an API's schemas the first time they are used, not at start
(about 13 MB for every module's, most of which a process never serves), and they work the same once built.
Checked in a fresh process: the session's app has served many requests already."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.factories import make_customer

ROOT = Path(__file__).resolve().parents[2]

FRESH = r"""
import json, sys
import app
from app.core.registry import registry
application = app.create_app()
appbuilder = application.appbuilder
apis = [v for v in appbuilder.baseviews if type(v).__name__.endswith("Api") and hasattr(v, "build_model_schemas")]
views = [v for v in appbuilder.baseviews if getattr(getattr(v, "_filters", None), "_tables", False) is not False]
built = lambda: {"schemas": sorted(type(a).__name__ for a in apis if "_edit_model_schema_built" in a.__dict__),
                 "filters": sorted(type(v).__name__ for v in views if v._filters._tables is not None)}
at_start = built()
client = application.test_client()
token = client.post("/api/v1/security/login", json={"username": sys.argv[1], "password": "Passw0rd!",
                                                    "provider": "db"}).get_json()["access_token"]
headers = {"Authorization": "Bearer " + token}
answer = client.get('/api/v1/customers/?q=(filters:!((col:name,opr:ct,value:%s)))' % sys.argv[2], headers=headers)
info = client.get("/api/v1/customers/_info", headers=headers).get_json()
print(json.dumps({"apis": len(apis), "views": len(views), "at_start": at_start, "after": built(),
                  "status": answer.status_code, "names": [r["name"] for r in answer.get_json()["result"]],
                  "add_columns": [c["name"] for c in info["add_columns"]]}))
"""


def test_schemas_and_filter_tables_are_built_on_first_use_and_work(app, org):
    customer = make_customer(org.east_rep, name="首用构建测试有限公司")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    env = dict(os.environ, DATABASE_URL=uri, LOG_LEVEL="ERROR")
    done = subprocess.run([sys.executable, "-c", FRESH, org.admin.username, "首用构建"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["apis"] > 30 and seen["views"] > 60
    assert seen["at_start"] == {"schemas": [], "filters": []}
    # the customers API built its schemas and its filter table to answer, and nothing else was built
    assert seen["after"]["schemas"] == ["CustomerApi"]
    assert "CustomerApi" in seen["after"]["filters"] and len(seen["after"]["filters"]) <= 2
    assert seen["status"] == 200 and seen["names"] == [customer.name]
    assert "name" in seen["add_columns"] and "owner_id" in seen["add_columns"]
