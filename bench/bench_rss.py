"""Memory of a web process and weight of the list pages.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench REDIS_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python run.py bench rss --requests 1000

1. One web process as production runs it (gunicorn, deploy/gunicorn.conf.py, one worker) gets
   COUNT mixed requests from a sales person, a manager and the REST API: the four lists (page 1,
   page 2, a quick filter, a sort, a search), the records they show, the global search, the chart
   pages and their data, the work bench, the approvals inbox, REST lists and records. The worker's
   RSS (VmRSS from /proc) is printed after start, after the first request and along the way, next
   to the target (120 MB), with its peak (VmHWM) and the part no other process shares (USS), and
   the worker's CPU per request (what a smaller compiled-statement cache would cost shows here).
   Then the HTML of each list's page 1, beside the target (40 KB), with its gzip size.
2. What the memory is made of: the RSS of a fresh interpreter after each stage of start-up
   (Python, Flask + SQLAlchemy + Flask-AppBuilder, `import app`, `create_app()`, the first
   requests); every package loaded by then with what importing it alone adds on top of that base
   (an upper bound of what loading it lazily would save) and the module of the app that first
   imports it; and the caches that grow while the same mix of requests runs in one process.
"""
from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote

import psutil

from bench.common import free_port as _free_port, say as _say

ROOT = Path(__file__).resolve().parents[1]
RSS_MB, LIST_KB = 120, 40
PASSWORD = "demo1234"   # bench/seed_customers.py STAFF_PASSWORD
LISTS = {"customers": "CustomerView", "contacts": "ContactView", "contracts": "ContractView",
         "interactions": "InteractionView"}
SORTS = {"customers": "name", "contacts": "name", "contracts": "amount", "interactions": "occurred_at"}
CHARTS = {"customers": ["by_industry", "by_month"], "contracts": ["by_status", "amount_by_month"]}
BASE_PACKAGES = ("flask", "sqlalchemy", "flask_appbuilder", "flask_sqlalchemy", "jinja2", "werkzeug", "wtforms",
                 "marshmallow")
# Packages worth loading lazily when a web process does not need them for most requests.
WATCH = ("openpyxl", "xhtml2pdf", "reportlab", "pandas", "numpy", "schemathesis", "hypothesis", "PIL", "babel",
         "pygments", "alembic", "mako", "pkg_resources", "pendulum", "lark", "celpy", "yaml", "segno", "pyotp",
         "sqlalchemy_utils", "rq", "redis", "limits", "flask_limiter", "apispec", "jsonschema", "referencing",
         "psutil", "prometheus_client", "croniter", "email_validator", "asyncio", "multiprocessing", "xml",
         "re2", "jmespath", "dateutil", "pytz", "psycopg", "flask_migrate", "flask_compress", "brotli",
         "backports", "jwt", "flask_jwt_extended", "prison", "attr", "idna", "tomllib", "concurrent")


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS, VmHWM ... of /proc/PID/status in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM", "RssAnon", "RssFile", "RssShmem")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0]) / 1024
    return out


def _uss(pid: int) -> float:
    try:
        return psutil.Process(pid).memory_full_info().uss / 2**20
    except psutil.Error:
        return float("nan")


# -- the people and the mix of requests ------------------------------------------------------------------
def _people() -> tuple[str, str]:
    """A sales person with customers and the manager of their department."""
    from sqlalchemy import func, select

    from app import create_app
    from app.core.org import User
    from app.extensions import db
    from app.modules.customers.models import Customer

    app = create_app()
    with app.app_context():
        row = db.session.execute(
            select(User.username, User.manager_id).join(Customer, Customer.owner_id == User.id)
            .where(User.username.like("sales\\_%", escape="\\")).group_by(User.id, User.username, User.manager_id)
            .having(func.count() > 30).order_by(User.id).limit(1)).first()
        if row is None:
            raise SystemExit("No benchmark organisation: python run.py bench seed --customers N first.")
        manager = db.session.scalar(select(User.username).where(User.id == row.manager_id)) or row.username
        db.session.remove()
        db.engine.dispose()
    return row.username, manager


class Mix:
    """The mixed requests: `get(who, url) -> (status, body)` is HTTP or the test client."""

    def __init__(self, get):
        self.get = get
        self.ids: dict[str, list[int]] = {}
        self.words: dict[str, str] = {}

    def discover(self, who: str) -> None:
        for name in LISTS:
            _status, body = self.get(who, f"/{name}/list/")
            html = body.decode("utf-8", "replace")
            self.ids.setdefault(name, [int(i) for i in dict.fromkeys(re.findall(rf'href="/{name}/show/(\d+)"', html))][:5])
            names = [t.strip() for t in re.findall(rf'href="/{name}/show/\d+">([^<]{{2,80}})<', html) if not t.isascii()]
            self.words.setdefault(name, (names[0][2:6] if len(names[0]) >= 6 else names[0]) if names else "华")

    def urls(self, who: str) -> list[str]:
        out = ["/", "/approvals/", f"/search/?q={quote(self.words.get('customers', '华'))}"]
        for name, view in LISTS.items():
            base = f"/{name}/list/"
            chip = "mine=1" if name in ("customers", "contracts") else "period=month"
            out += [base, f"{base}?page_{view}=1", f"{base}?{chip}", f"{base}?_oc_{view}={SORTS[name]}&_od_{view}=asc",
                    f"{base}?q={quote(self.words.get(name, '华'))}"]
            out += [f"/{name}/show/{pk}" for pk in self.ids.get(name, [])[:3]]
        for name, charts in CHARTS.items():
            out.append(f"/{name}/chart/")
            out += [f"/{name}/chart/{chart}.json" for chart in charts]
        if who == "api":
            query = quote("(page:0,page_size:25)")
            out = [f"/api/v1/{name}/?q={query}" for name in LISTS]
            out += [f"/api/v1/{name}/{pk}" for name in LISTS for pk in self.ids.get(name, [])[:2]]
        return out


# -- 1. a gunicorn worker under the mix ---------------------------------------------------------------
class Browser:
    """A signed-in HTTP client (cookies, CSRF of the sign-in form; JWT for the API)."""

    def __init__(self, base: str):
        import http.cookiejar

        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.headers: dict[str, str] = {}

    def open(self, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        req = urllib.request.Request(self.base + path, data=data, headers={**self.headers, **(headers or {})})
        try:
            with self.opener.open(req, timeout=120) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def sign_in(self, username: str) -> None:
        _status, body = self.open("/login/")
        token = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body).group(1).decode()
        form = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": token}).encode()
        status, _body = self.open("/login/", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise SystemExit(f"{username} could not sign in ({status})")

    def sign_in_api(self, username: str) -> None:
        body = json.dumps({"username": username, "password": PASSWORD, "provider": "db"}).encode()
        status, answer = self.open("/api/v1/security/login", body, {"Content-Type": "application/json"})
        if status != 200:
            raise SystemExit(f"{username} could not sign in to the API ({status})")
        self.headers["Authorization"] = "Bearer " + json.loads(answer)["access_token"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def measure_worker(count: int, sales: str, manager: str) -> dict:
    env = dict(os.environ, WEB_CONCURRENCY="1", GUNICORN_BIND=f"127.0.0.1:{_free_port()}", LOG_FORMAT="json",
               LOG_LEVEL="WARNING", RQ_QUEUE=f"zwt-rss-{uuid.uuid4().hex[:6]}",
               PROMETHEUS_MULTIPROC_DIR=tempfile.mkdtemp(prefix="zwt-rss-prom-"))
    base = "http://" + env["GUNICORN_BIND"]
    log = tempfile.NamedTemporaryFile(prefix="zwt-rss-", suffix=".log", delete=False)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "app:create_app()"],
                              cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/readyz", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"gunicorn did not start; see {log.name}")
                time.sleep(0.3)
        worker = psutil.Process(server.pid).children()[0].pid
        curve = [("started (one /readyz)", proc_status(worker), _uss(worker))]
        browsers = {"sales": Browser(base), "manager": Browser(base), "api": Browser(base)}
        browsers["sales"].sign_in(sales)
        curve.append(("first request signed in", proc_status(worker), _uss(worker)))
        browsers["manager"].sign_in(manager)
        browsers["api"].sign_in_api(sales)
        mix = Mix(lambda who, url: browsers[who].open(url))
        mix.discover("sales")
        plan = [(who, url) for who in ("sales", "manager", "api") for url in mix.urls(who)]
        marks = {100, 250, 500, count}
        bad = []
        cpu_before, wall_before = sum(psutil.Process(worker).cpu_times()[:2]), time.perf_counter()
        for n in range(1, count + 1):
            who, url = plan[(n - 1) % len(plan)]
            status, _body = browsers[who].open(url)
            if status != 200:
                bad.append((status, url))
            if n in marks:
                curve.append((f"after {n:,} requests", proc_status(worker), _uss(worker)))
        cpu = (sum(psutil.Process(worker).cpu_times()[:2]) - cpu_before) * 1000 / count
        wall = (time.perf_counter() - wall_before) * 1000 / count
        threads = psutil.Process(worker).num_threads()
        master = proc_status(server.pid)
        sizes = []
        for who in ("sales", "manager"):
            for name in LISTS:
                _status, body = browsers[who].open(f"/{name}/list/")
                sizes.append((f"{name} list, page 1 ({who})", len(body), len(gzip.compress(body, 6))))
        return {"curve": curve, "sizes": sizes, "bad": bad, "distinct": len(plan), "cpu_ms": cpu, "wall_ms": wall,
                "threads": threads, "master": master, "preload": os.environ.get("ZWT_PRELOAD", "1") != "0"}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()
        shutil.rmtree(env["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
        if server.returncode in (0, -signal.SIGTERM):
            os.unlink(log.name)


# -- 2. what the memory is made of ---------------------------------------------------------------------
STAGES = r"""
import json, sys, psutil
rss = lambda: psutil.Process().memory_info().rss / 2**20
out = [("Python with psutil", rss())]
import app
out.append(("+ import app", rss()))
app.load_frameworks()
import flask, sqlalchemy, flask_appbuilder, flask_sqlalchemy
out.append(("+ Flask, SQLAlchemy, Flask-AppBuilder (as the app loads them)", rss()))
application = app.create_app()
out.append(("+ create_app()", rss()))
client = application.test_client()
client.get("/login/")
client.get("/healthz")
out.append(("+ first requests (sign-in page)", rss()))
mods = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"stages": out, "packages": mods}))
"""

ALONE = r"""
import importlib, json, sys, psutil
rss = lambda: psutil.Process().memory_info().rss / 2**20
import app
app.load_frameworks()
for name in sys.argv[2].split(","):
    importlib.import_module(name)
before = rss(); n = len(sys.modules)
importlib.import_module(sys.argv[1])
print(json.dumps({"mb": rss() - before, "modules": len(sys.modules) - n}))
"""


LEFT_OUT = r"""
import gc, sys, types, psutil
from unittest import mock
rss = lambda: psutil.Process().memory_info().rss / 2**20
left_out = [n for n in sys.argv[1].split(",") if n]
for name in left_out:
    stub = mock.MagicMock(name=name)
    stub.__path__, stub.__spec__ = [], None
    sys.modules[name] = stub
    if name == "celpy":
        sys.modules["celpy.celtypes"] = stub.celtypes
    if name == "flask_migrate":
        class Migrate:
            def __init__(self, *args, **kwargs): pass
            def configure(self, f): return f
            def init_app(self, app, db, directory=None):
                app.extensions["migrate"] = types.SimpleNamespace(directory=directory)
        stub.Migrate = Migrate
import app
application = app.create_app()
client = application.test_client()
client.get("/login/")
client.get("/healthz")
gc.collect()
print(f"{rss():.2f} {len(sys.modules)}")
"""
# What a web process would not load if these were imported where they are used (the module that
# imports them today is printed with them).
LAZY = [("flask_migrate", "app/extensions.py: Migrate (alembic, mako, pygments); only `run.py db` and `init` migrate"),
        ("celpy", "app/workflow/conditions.py: the CEL language (lark, re2); only chains with conditions"),
        ("segno,pyotp", "app/security/mfa.py: QR code and TOTP; only setting up or checking a second factor"),
        ("email_validator", "app/security/registration.py: only the registration form")]


def _python(code: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, LOG_LEVEL="ERROR"))
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return done.stdout.strip().splitlines()[-1]


def importers() -> dict[str, str]:
    """package → the chain of imports from the first app module down to it (python -X importtime)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import app; app.create_app()"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, LOG_LEVEL="ERROR"))
    lines = []
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if found:
            lines.append((len(found.group(2)), found.group(3), int(found.group(1))))
    chains = {}
    for i, (depth, module, _cumulative) in enumerate(lines):
        top = module.split(".")[0]
        if top in chains or top == "app":
            continue
        chain, want = [module], depth
        for later_depth, later, _c in lines[i + 1:]:
            if later_depth < want:
                chain.append(later)
                want = later_depth
                if later.startswith("app"):
                    break
        app_modules = [m for m in chain if m.startswith("app")]
        chains[top] = f"{app_modules[0]} → {' → '.join(reversed(chain[:chain.index(app_modules[0])]))}" \
            if app_modules else " → ".join(reversed(chain))
    return chains


def growing_caches(count: int, sales: str) -> str:
    """Run the mix in one process through the test client; print what grew."""
    code = r"""
import gc, json, re, sys, psutil, collections
sys.path.insert(0, %(root)r)
from bench.bench_rss import Mix, PASSWORD
import app as package
application = package.create_app()
client = application.test_client()
page = client.get("/login/").get_data(as_text=True)
token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
assert client.post("/login/", data={"username": %(sales)r, "password": PASSWORD, "csrf_token": token}).status_code == 302
def get(who, url):
    resp = client.get(url); body = resp.get_data(); resp.close(); return resp.status_code, body
rss = lambda: psutil.Process().memory_info().rss / 2**20
import tracemalloc
gc.collect()
before_first = rss()
tracemalloc.start(1)
mix = Mix(get); mix.discover("sales"); urls = mix.urls("sales")
for url in urls: get("sales", url)
gc.collect()
snapshot = tracemalloc.take_snapshot()
tracemalloc.stop()
after_first = rss()
by_file = collections.Counter()
for stat in snapshot.statistics("filename"):
    name = stat.traceback[0].filename
    parts = name.split("site-packages/")
    name = parts[1] if len(parts) > 1 else name.replace(%(root)r + "/", "")
    by_file["/".join(name.split("/")[:2])] += stat.size
first = {"rss": [before_first, after_first], "traced": sum(by_file.values()) / 2**20,
         "files": [(k, v / 2**20) for k, v in by_file.most_common(12)]}
def counts():
    return collections.Counter(type(o).__qualname__ for o in gc.get_objects())
from app.extensions import db
def sizes():
    with application.app_context():
        engine = db.engine
    env = application.jinja_env
    return {"SQLAlchemy compiled statements": len(engine._compiled_cache or {}),
            "Jinja templates": len(env.cache or {}),
            "Werkzeug/Flask url adapters": 0}
r0, c0, s0 = rss(), counts(), sizes()
for n in range(%(count)d):
    get("sales", urls[n %% len(urls)])
gc.collect()
r1, c1, s1 = rss(), counts(), sizes()
grew = sorted(((c1[k] - c0.get(k, 0), k) for k in c1 if c1[k] - c0.get(k, 0) > 50), reverse=True)[:12]
print(json.dumps({"rss": [r0, r1], "sizes": [s0, s1], "grew": grew, "first": first}))
""" % {"root": str(ROOT), "sales": sales, "count": count}
    return _python(code)


def analyse(count: int, sales: str, stubs: int | None = None, packages: int | None = None) -> None:
    """What the process is made of; `stubs` limits how many of the lazily loadable packages are tried one by one,
    `packages` how many of those loaded at start are weighed alone, the app's own imports first (each is a fresh
    process: a bounded run tries fewer)."""
    _say()
    _say("What a web process is made of (fresh interpreters, this database):")
    stages = json.loads(_python(STAGES))
    previous = 0.0
    for label, mb in stages["stages"]:
        _say(f"  {label:62} {mb:6.1f} MB  ({mb - previous:+.1f})")
        previous = mb
    loaded = set(stages["packages"])
    chains = importers()
    base = ",".join(BASE_PACKAGES)
    rows = []
    watched = [name for name in WATCH if name in loaded]
    if packages is not None:
        watched = sorted(watched, key=lambda name: not chains.get(name, "").startswith("app."))[:packages]
    for name in watched:
        try:
            alone = json.loads(_python(ALONE, name, base))
        except RuntimeError:
            continue
        rows.append((alone["mb"], alone["modules"], name))
    _say()
    _say(f"Packages loaded at start: each one imported alone on top of {', '.join(BASE_PACKAGES[:3])} ... "
         "(with what it imports itself: an upper bound of what loading it lazily saves), and who imports it first:")
    _say(f"  {'package':20} {'MB':>6} {'modules':>7}  first imported by")
    for mb, modules, name in sorted(rows, reverse=True):
        if mb >= 0.05:
            _say(f"  {name:20} {mb:6.1f} {modules:7}  {chains.get(name, '?')[:150]}")
    _say("  loaded by Flask-AppBuilder or SQLAlchemy already (nothing to save here): "
         + ", ".join(sorted(name for mb, _m, name in rows if mb < 0.05)))
    _say()
    _say("What the started process (create_app() and its first requests) would weigh without each "
         "(the package replaced by a stub):")
    whole, count_all = (float(x) for x in _python(LEFT_OUT, "").split())
    _say(f"  {'everything loaded as today':34} {whole:6.1f} MB  {count_all:5.0f} modules")
    together = []
    for names, where in LAZY[:stubs]:
        mb, modules = (float(x) for x in _python(LEFT_OUT, names).split())
        together.append(names)
        _say(f"  {'without ' + names:34} {mb:6.1f} MB  {modules:5.0f} modules  saves {whole - mb:4.1f} MB  ({where})")
    mb, modules = (float(x) for x in _python(LEFT_OUT, ",".join(together)).split())
    _say(f"  {'without all of them':34} {mb:6.1f} MB  {modules:5.0f} modules  saves {whole - mb:4.1f} MB")
    not_loaded = [n for n in ("openpyxl", "xhtml2pdf", "reportlab", "pandas", "schemathesis", "hypothesis", "PIL")
                  if n not in loaded]
    _say(f"  not loaded at start (already lazy or not installed): {', '.join(not_loaded)}")
    grown = json.loads(growing_caches(count, sales))
    r0, r1 = grown["rss"]
    first = grown["first"]
    _say()
    _say(f"The first time each request of the mix is served (one process, test client): RSS "
         f"{first['rss'][0]:.1f} → {first['rss'][1]:.1f} MB; Python objects kept from it, {first['traced']:.1f} MB, "
         "allocated by:")
    for name, mb in first["files"]:
        _say(f"  {name:60} {mb:6.2f} MB")
    _say(f"Caches while the same mix runs {count:,} more times in one process (test client): RSS {r0:.1f} → {r1:.1f} MB")
    for key in grown["sizes"][0]:
        if key.startswith("Werkzeug"):
            continue
        _say(f"  {key}: {grown['sizes'][0][key]} → {grown['sizes'][1][key]} entries")
    if grown["grew"]:
        _say("  object kinds that grew by more than 50: " + ", ".join(f"{k} +{n}" for n, k in grown["grew"]))


def main(count: int = 1000, analysis: bool = True, stubs: int | None = None, packages: int | None = None) -> dict:
    sales, manager = _people()
    from app import create_app
    from app.extensions import db

    app = create_app()
    with app.app_context():
        database = db.engine.url.render_as_string(hide_password=True)
        db.engine.dispose()
    _say(f"Database: {database}; one gunicorn worker; {count:,} mixed requests as {sales}, {manager} and the REST API")
    _say(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    result = measure_worker(count, sales, manager)
    _say(f"({result['distinct']} distinct requests, taken in turn)")
    _say()
    _say(f"{'web worker':30} {'RSS MB':>7} {'peak MB':>7} {'USS MB':>7} {'target':>7}  ok")
    for label, status, uss in result["curve"]:
        ok = "yes" if status["VmRSS"] <= RSS_MB else "NO"
        _say(f"{label:30} {status['VmRSS']:7.1f} {status['VmHWM']:7.1f} {uss:7.1f} {RSS_MB:>7}  {ok}")
    final = result["curve"][-1][1]
    _say(f"RSS after {count:,} requests: {final['VmRSS']:.1f} MB (target {RSS_MB} MB): "
         f"{final.get('RssAnon', 0):.1f} MB private, {final.get('RssFile', 0):.1f} MB mapped files")
    master = result["master"]
    _say(f"The master process: RSS {master['VmRSS']:.1f} MB; "
         + ("the app is loaded there once and the worker forked from it (ZWT_PRELOAD=1): the worker's RSS counts the "
            "pages it shares with the master and the other workers, its USS what it has alone"
            if result["preload"] else "each worker loads the app itself (ZWT_PRELOAD=0)"))
    _say(f"The worker's CPU per request {result['cpu_ms']:.1f} ms (wall {result['wall_ms']:.1f} ms, one client at a time); "
         f"{result['threads']} threads")
    if result["bad"]:
        _say(f"{len(result['bad'])} requests did not answer 200: " + ", ".join(f"{s} {u}" for s, u in result["bad"][:8]))
    _say()
    _say(f"{'list page HTML':36} {'KB':>6} {'gzip KB':>7} {'target':>7}  ok")
    for label, size, packed in result["sizes"]:
        _say(f"{label:36} {size / 1024:6.1f} {packed / 1024:7.1f} {LIST_KB:>7}  {'yes' if size <= LIST_KB * 1024 else 'NO'}")
    if analysis:
        analyse(min(count, 300), sales, stubs, packages)
    _say(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
