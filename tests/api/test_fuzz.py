"""The REST API under fuzzing: schemathesis generates requests from the app's own OpenAPI
description (/api/v1/_openapi) for every operation — valid ones and invalid ones (wrong types,
missing fields, huge numbers, odd text) — and sends them as an admin and as a Sales user.

The run fails on any 5xx, on an answer the description does not allow (status code, content
type, body schema), and on the Sales user getting or changing a record outside their data scope
(records of another department are seeded for that). Every operation is also sent the classes
of input that answered 500 before: ids beyond 64 bits, NUL characters, 10,000-deep JSON and
filter values of the wrong type.

It runs against an app of its own on a database of its own (a separate SQLite file, or a
separate PostgreSQL schema), so nothing it creates, changes or deletes reaches other tests.
Examples per operation and generation mode: FUZZ_EXAMPLES (default 3; e.g. 100 for a long run);
the seed is fixed (derandomized), so a run repeats exactly.
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, assume, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine, select, text

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))
# apispec warns at every generation of the description about names FAB's security API reuses.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:apispec")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
PASSWORD = "Passw0rd!"
MODULE_PATH = re.compile(r"/api/v1/(?P<spec>[a-z_]+)/(?:(?P<pk>\d+))?$")
SECURITY_MUTATION = re.compile(r"/api/v1/security/[a-z_-]+/(?P<id>\d+)(?:/|$)")
DEEP_JSON = b"[" * 10_000 + b"]" * 10_000


@dataclass
class Findings:
    items: dict = field(default_factory=dict)

    def add(self, label: str, title: str, detail: str) -> None:
        self.items.setdefault((label, title), detail[:1500])

    def report(self) -> str:
        return "\n\n".join(f"{label}: {title}\n{detail}" for (label, title), detail in sorted(self.items.items()))


# -- an app and a database of its own ------------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory):
    from app import create_app
    from app.core.registry import registry
    from app.core.setup import initialise

    # Building a second app rebuilds the registry's views: the session's app gets its own back.
    served = registry.views, registry.apis, registry.menu_names
    url = os.environ.get("DATABASE_URL")
    admin_engine = schema = None
    if not url:
        db_url = f"sqlite:///{tmp_path_factory.mktemp('fuzzdb') / 'fuzz.db'}"
    else:
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
        schema = f"fuzz_{uuid.uuid4().hex[:8]}"
        admin_engine = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        db_url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    app = create_app(
        SQLALCHEMY_DATABASE_URI=db_url, SECRET_KEY="fuzz-" + uuid.uuid4().hex,
        INSTANCE_DIR=str(tmp_path_factory.mktemp("fuzz_instance")), RQ_QUEUE=f"zwt-fuzz-{uuid.uuid4().hex[:8]}",
        MAIL_SERVER="", FAB_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
        # Thousands of made-up sign-ins would otherwise lock out this address for the other tests.
        RATE_LIMITS_ENABLED=False,
        # schemathesis's WSGI transport asks for compressed answers but does not decode them.
        COMPRESS_MIMETYPES=[],
    )
    with app.app_context():
        initialise("admin", "admin-pass-123", "admin@example.com")
        app.fuzz = _seed()
    try:
        yield app
    finally:
        registry.views, registry.apis, registry.menu_names = served
        if schema:
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
            with admin_engine.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin_engine.dispose()


def _seed() -> dict:
    """Two Sales users in two departments, each with customers, contacts, interactions,
    contracts and comments; the Sales user of the fuzz must never reach the other's."""
    from flask_appbuilder.security.sqla.models import PermissionView, Role, User as FabUser, ViewMenu

    from app.core import collab
    from app.core.registry import registry
    from app.extensions import db
    from app.modules.customers.models import Contact, Interaction
    from tests.factories import Org, make_customer
    from tests.modules.contracts.helpers import make_contract

    org = Org.build()
    for owner in (org.east_rep, org.south_rep):
        for n in range(3):
            customer = make_customer(owner)
            registry.get("contacts").service.create(owner, Contact(customer_id=customer.id, name=f"联系人{n}",
                                                                   phone=f"1390000{owner.id:02d}{n:02d}"[:11]))
            registry.get("interactions").service.create(owner, Interaction(customer_id=customer.id, kind="call",
                                                                           subject="电话回访"))
            make_contract(owner, customer)
            collab.add_comment(owner, "customers", customer.id, "已联系")
    # Rows the admin's fuzzing must not delete or rewrite: without them the run would go on
    # with tokens that lost their user, role or permissions.
    protected = {
        "users": set(db.session.scalars(select(FabUser.id))),
        "roles": set(db.session.scalars(select(Role.id))),
        "resources": set(db.session.scalars(select(ViewMenu.id))),
        "permissions-resources": set(db.session.scalars(select(PermissionView.id))),
    }
    return {"admin": org.admin.username, "sales": org.east_rep.username, "sales_id": org.east_rep.id,
            "protected": protected}


@pytest.fixture(scope="module")
def tokens(fuzz_app):
    client = fuzz_app.test_client()
    found = {}
    for role in ("admin", "sales"):
        resp = client.post("/api/v1/security/login",
                           json={"username": fuzz_app.fuzz[role], "password": PASSWORD, "provider": "db"})
        assert resp.status_code == 200, resp.get_json()
        found[role] = {"Authorization": f"Bearer {resp.get_json()['access_token']}"}
    return found


# -- the data-scope check ----------------------------------------------------------------------
class Scope:
    """What the Sales user may see, asked of the fuzz app's database at the moment of the call."""

    def __init__(self, app):
        self.app = app

    def visible(self, spec_name: str, pk: int) -> bool:
        from app.core.org import User
        from app.core.registry import registry
        from app.core.scope import can_see
        from app.extensions import db

        if pk > 2**31 - 1:  # no such record on either database
            return True
        with self.app.app_context():
            if spec_name not in registry.specs or registry.get(spec_name).scope is None:
                return True
            try:
                return can_see(spec_name, db.session.get(User, self.app.fuzz["sales_id"]), pk)
            finally:
                db.session.remove()


def _spec_of(path: str):
    found = MODULE_PATH.match(path)
    return (found["spec"], int(found["pk"]) if found["pk"] else None) if found else (None, None)


def _scope_problems(scope: Scope, method: str, path: str, query: dict, status: int, body, before: bool | None):
    """Records outside the Sales user's scope in a successful answer, or written through one."""
    spec_name, pk = _spec_of(path)
    problems = []
    if status >= 300:
        return problems
    if before is False:
        problems.append(f"{method} {path} answered {status} for a record outside the user's scope")
    if not isinstance(body, dict):
        return problems
    if spec_name and method == "GET" and pk is None:
        hidden = [i for i in body.get("ids") or [] if str(i).isdigit() and not scope.visible(spec_name, int(i))]
        if hidden:
            problems.append(f"GET {path} listed records outside the user's scope: {hidden}")
    if spec_name and method == "POST" and status == 201 and str(body.get("id", "")).isdigit():
        if not scope.visible(spec_name, int(body["id"])):
            problems.append(f"POST {path} created a record outside the user's scope: {body['id']}")
    if path.startswith("/api/v1/comments") and method == "GET":
        spec, record = query.get("spec"), str(query.get("record", ""))
        if isinstance(spec, str) and record.isdigit() and body.get("result") and not scope.visible(spec, int(record)):
            problems.append(f"GET {path} showed comments on a record outside the user's scope")
    return problems


# -- one run: generated cases, then the hostile ones --------------------------------------------
def _operations(app, admin_headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/_openapi", app, headers=dict(admin_headers))
    operations = [result.ok() for result in schema.get_all_operations()]
    # Security changes go last, so the other operations run with both users intact.
    return sorted(operations, key=lambda op: (op.path.startswith("/api/v1/security/") and op.method.upper() != "GET",
                                              op.path, op.method))


def _protected(app, operation, case) -> bool:
    """A change to a user, role or permission that existed before the run."""
    if operation.method.upper() == "GET":
        return False
    found = SECURITY_MUTATION.match(case.formatted_path)
    if not found:
        return False
    kind = case.formatted_path.split("/")[4]
    return int(found["id"]) in app.fuzz["protected"].get(kind, set())


def _send(case, headers, findings: Findings, scope: Scope | None, expect_4xx: bool = False, **kwargs):
    before = None
    spec_name, pk = _spec_of(case.formatted_path)
    if scope is not None and spec_name and pk is not None:
        before = scope.visible(spec_name, pk)
    response = case.call(headers=headers, **kwargs)
    label = f"{case.method.upper()} {case.operation.path}"
    where = f"-> {case.method.upper()} {case.formatted_path} q={case.query} body={str(case.body)[:300]}\n" \
            f"<- {response.status_code} {response.text[:400]}"
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        for failure in group.exceptions:
            findings.add(label, f"{failure.title} ({response.status_code})", f"{failure.message[:600]}\n{where}")
    if expect_4xx and not 400 <= response.status_code < 500:
        findings.add(label, f"hostile input answered {response.status_code}", where)
    if scope is not None:
        try:
            body = response.json()
        except ValueError:
            body = None
        for problem in _scope_problems(scope, case.method.upper(), case.formatted_path, case.query or {},
                                       response.status_code, body, before):
            findings.add(label, "data scope", f"{problem}\n{where}")
    return response


def _hostile_cases(operation):
    """(case, must it be refused with a 4xx) for the inputs that answered 500 before."""
    parameters = {p.name: p for p in operation.path_parameters}
    filled = {name: 1 for name in parameters}
    huge = {name: 2**64 + 7 for name, p in parameters.items() if (p.definition.get("schema") or {}).get("type") == "integer"}
    if huge:
        yield operation.Case(path_parameters={**filled, **huge}), True
    if any(p.name == "q" for p in operation.query):
        yield operation.Case(path_parameters=filled, query={"q": "(filters:!((col:name,opr:ct,value:'a\x00b')))"}), True
        yield operation.Case(path_parameters=filled, query={"q": "(((("}), True
        # Where `q` takes filters these must be refused; elsewhere they are ignored.
        for q in ("(filters:!((col:name,opr:ct,value:!(a,b))))", "(filters:!((col:name,opr:ct,value:(a:b))))",
                  "(filters:!((col:id,opr:eq,value:99999999999999999999999)))", "(page:-1,page_size:-5)"):
            yield operation.Case(path_parameters=filled, query={"q": q}), False
    if operation.body:
        media = "application/json"
        yield operation.Case(path_parameters=filled, body={"name": "客户\x00", "comment": "\x00"}, media_type=media), True
        yield operation.Case(path_parameters=filled, body=["not", "an", "object"], media_type=media), False


def _fuzz(app, tokens: dict, role: str, scope: Scope | None) -> Findings:
    findings = Findings()
    client = app.test_client()
    headers = dict(tokens[role])
    for operation in _operations(app, tokens["admin"]):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
            def run(case):
                assume(not _protected(app, operation, case))
                _send(case, dict(headers), findings, scope)

            run()
        for case, refused in _hostile_cases(operation):
            if not _protected(app, operation, case):
                _send(case, dict(headers), findings, scope, expect_4xx=refused)
        if operation.body:
            path = re.sub(r"\{[^}]+\}", "1", operation.path)
            resp = client.open(path, method=operation.method.upper(), data=DEEP_JSON,
                               headers={**headers, "Content-Type": "application/json"})
            if resp.status_code != 400 and not (operation.method.upper() != "GET" and resp.status_code in (401, 403, 404)):
                findings.add(f"{operation.method.upper()} {operation.path}", f"deep JSON answered {resp.status_code}",
                             resp.get_data(as_text=True)[:300])
    return findings


# The Sales run first: the admin's run creates, changes and deletes records.
def test_sales_user_gets_no_server_error_nothing_undocumented_and_nothing_outside_their_scope(fuzz_app, tokens):
    findings = _fuzz(fuzz_app, tokens, "sales", Scope(fuzz_app))
    assert not findings.items, findings.report()


def test_admin_gets_no_server_error_and_nothing_undocumented(fuzz_app, tokens):
    findings = _fuzz(fuzz_app, tokens, "admin", None)
    assert not findings.items, findings.report()
