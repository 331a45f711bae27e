#!/usr/bin/env python
"""掌务通 command line. `python run.py --help` lists the commands.

    serve    web + RQ worker + RQ cron on the embedded defaults (Ctrl-C stops all three)
    worker   work the job queue          cron     enqueue scheduled jobs
    init     schema, permissions, roles, numbering rules and the admin user
    demo     realistic Chinese demo data  bench    data generators and benchmarks
    db       Alembic migrations (upgrade, migrate, downgrade, ...)
    contracts verify FILE   whether a PDF is one of our signed contracts, unchanged
    purchasing rebuild-spend   recompute the purchase spend kept for 采购分析报表
"""
from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import time

import click
from flask.cli import FlaskGroup

from app import create_app
from app.modules.contracts.cli import contracts_group
from app.modules.purchasing.cli import purchasing_group
from app.workflow.cli import workflows_group

DEMO_ADMIN = ("admin", "admin123")


def _cli_app():
    app = create_app()

    def close_connections():
        # A command's pooled database connections are closed, not left to the garbage collector.
        from app.extensions import db

        with app.app_context():
            db.engine.dispose()

    atexit.register(close_connections)
    return app


@click.group(cls=FlaskGroup, create_app=_cli_app, add_default_commands=True)
def cli():
    """掌务通 (ZhangWuTong) business management."""


@cli.command("init")
@click.option("--admin-username", default=lambda: os.environ.get("ADMIN_USERNAME", DEMO_ADMIN[0]), show_default="admin")
@click.option("--admin-password", default=lambda: os.environ.get("ADMIN_PASSWORD", ""), help="Required in production.")
@click.option("--admin-email", default=lambda: os.environ.get("ADMIN_EMAIL", "admin@example.com"))
def init_command(admin_username, admin_password, admin_email):
    """Upgrade the schema and set up permissions, roles, numbering rules and the admin user."""
    from app.core.setup import initialise

    created = initialise(admin_username, admin_password, admin_email)
    click.echo("Schema at head; permissions, roles and numbering rules in place.")
    if created:
        click.echo(f"Admin user created: {admin_username}")


@cli.command("demo")
def demo_command():
    """Load realistic Chinese demo data (departments, staff, customers, contacts)."""
    from app.core.setup import load_demo

    summary = load_demo()
    click.echo(summary)


@cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker_command(burst):
    """Work the RQ job queue."""
    from flask import current_app

    from app.core.jobs import run_worker

    run_worker(current_app._get_current_object(), burst=burst)


@cli.command("cron")
def cron_command():
    """Run the RQ cron scheduler with every module's scheduled jobs."""
    from flask import current_app

    from app.core.jobs import build_cron

    build_cron(current_app._get_current_object()).start()


def served_address(host: str, port: int) -> str:
    """http://host:port as people on other machines reach it: for a wildcard host, this
    machine's address on its outward network (no packet is sent), else 127.0.0.1."""
    if host in ("0.0.0.0", "::", ""):
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            probe.connect(("192.0.2.1", 9))
            host = probe.getsockname()[0]
        except OSError:
            host = "127.0.0.1"
        finally:
            probe.close()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


@cli.command("serve", with_appcontext=False)
@click.option("--host", default=lambda: os.environ.get("HOST", "127.0.0.1"), show_default="127.0.0.1")
@click.option("--port", default=lambda: int(os.environ.get("PORT", 5000)), type=int, show_default="5000")
@click.option("--web-workers", default=2, show_default=True)
@click.option("--demo/--no-demo", default=False, help="Load demo data when the database has none.")
def serve_command(host, port, web_workers, demo):
    """Start web, worker and cron together on the embedded defaults; Ctrl-C stops all three."""
    from config import INSTANCE_DIR

    try:
        socket.create_server((host, port)).close()
    except OSError as exc:
        raise click.ClickException(f"Cannot listen on {host}:{port} ({exc.strerror}); choose another with --port N.")
    env = dict(os.environ)
    # Links in notices and e-mails lead where this server listens, unless PUBLIC_URL says otherwise.
    if not env.get("PUBLIC_URL"):
        env["PUBLIC_URL"] = served_address(host, port)
    embedded = None
    if not env.get("REDIS_URL"):
        from app.core.jobs import embedded_redis_url, open_embedded_redis

        embedded = open_embedded_redis(str(INSTANCE_DIR))
        env["REDIS_URL"] = embedded_redis_url(embedded)
        os.environ["REDIS_URL"] = env["REDIS_URL"]
    me = [sys.executable, os.path.abspath(__file__)]
    subprocess.run(me + ["init"], env=env, check=True)
    if demo:
        subprocess.run(me + ["demo"], env=env, check=True)
    children = [
        subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(web_workers),
                          "--timeout", "120", "--access-logfile", "-", *gunicorn_control_socket(INSTANCE_DIR),
                          "app:create_app()"], env=env),
        subprocess.Popen(me + ["worker"], env=env),
        subprocess.Popen(me + ["cron"], env=env),
    ]
    probe = "127.0.0.1" if host in ("0.0.0.0", "") else host
    deadline = time.time() + 60
    while children[0].poll() is None and time.time() < deadline:
        try:
            socket.create_connection((probe, port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    click.echo(f"\n掌务通 is running at http://{host}:{port}/")
    click.echo(f"Links in notices and e-mails start with {env['PUBLIC_URL']} (set PUBLIC_URL to change it).")
    if demo:
        click.echo(f"Demo login: {DEMO_ADMIN[0]} / {DEMO_ADMIN[1]}  (staff: zhangwei, lina, ... / demo1234)")
    click.echo("Press Ctrl-C to stop web, worker and cron.\n")

    stopping = False

    def stop(_signum=None, _frame=None):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.5)
    finally:
        for child in children:
            if not stopping and child.poll() is not None:
                click.echo(f"{' '.join(child.args[1:3])} exited with {child.returncode}; stopping the others.", err=True)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.time() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                child.kill()
        if embedded is not None:
            from app.core.jobs import stop_embedded_redis

            stop_embedded_redis()
        click.echo("Stopped.")
    failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, -signal.SIGINT)]
    sys.exit(1 if failed and not stopping else 0)


def gunicorn_control_socket(instance_dir) -> list[str]:
    """gunicorn's control socket in the instance folder: by default it goes to ~/.gunicorn/,
    shared by every instance of every user's app on the machine."""
    path = os.path.join(str(instance_dir), "gunicorn.ctl")
    if len(path) > 100:   # a unix socket's path must fit in 108 bytes
        return ["--no-control-socket"]
    return ["--control-socket", path]


@cli.group("bench")
def bench_group():
    """Data generators and benchmarks (see bench/)."""


@bench_group.command("seed", with_appcontext=False)
@click.option("--customers", "n", default=100_000, show_default=True)
@click.option("--contacts-per-customer", default=2, show_default=True)
def bench_seed(n, contacts_per_customer):
    """Bulk-load N customers with contacts."""
    from bench.seed_customers import main as seed

    seed(n, contacts_per_customer)


@bench_group.command("run", with_appcontext=False)
@click.option("--requests", "count", default=200, show_default=True)
def bench_run(count):
    """Print p50/p95 server times of the customer list, REST list, filtered list and chart."""
    from bench.bench_customers import main as run_bench

    run_bench(count)


@bench_group.command("workflow", with_appcontext=False)
@click.option("--instances", default=10_000, show_default=True)
@click.option("--workers", default=4, show_default=True)
@click.option("--kinds", type=click.Choice(["users", "new"]), default="users", show_default=True,
              help="new: the chain uses the newer approver kinds (submitter picks, a named department's head, "
                   "the manager line).")
def bench_workflow(instances, workers, kinds):
    """Submit and approve INSTANCES contracts through a 4-step chain; print actions/s and p95."""
    from bench.bench_workflow import main as run_bench

    run_bench(instances, workers, kinds)


@bench_group.command("search", with_appcontext=False)
@click.option("--full", is_flag=True, help="1,000,000 customers (seeded into an empty database), 100 requests per query kind and user")
@click.option("--requests", "count", type=int, default=None)
@click.option("--explain", is_flag=True, help="EXPLAIN ANALYZE each kind's slowest search statement")
def bench_search(full, count, explain):
    """p50/p95 of the global search per kind of query, for a manager and a sales user."""
    from bench.bench_global_search import main as run_bench

    run_bench(full=full, count=count, explain=explain)


@bench_group.command("queries", with_appcontext=False)
@click.option("--full", is_flag=True, help="the seeded million-row database instead of the bounded SQLite run")
@click.option("--runs", type=int, default=None)
@click.option("--explain", is_flag=True, help="print each query's plan")
@click.option("--only", default=None, help="only query kinds containing this text")
def bench_queries(full, runs, explain, only):
    """p50/p95 of list sorts, deep pages and searches per data scope, beside the 80 ms target."""
    from bench.bench_queries import main as run_bench

    run_bench(full, runs, explain, only)


@bench_group.command("pages", with_appcontext=False)
@click.option("--requests", "count", default=30, show_default=True)
def bench_pages(count):
    """Each list and detail page: p50/p95, statements, SQL ms, overhead, HTML size, beside the targets."""
    from bench.bench_pages import main as run_bench

    run_bench(count)


@bench_group.command("charts", with_appcontext=False)
@click.option("--full", is_flag=True, help="the seeded million-row database instead of the bounded SQLite run")
@click.option("--requests", "count", type=int, default=None)
def bench_charts(full, count):
    """p95 of each chart from its kept totals, and how soon a new record shows in its count."""
    from bench.bench_charts import main as run_bench

    run_bench(full=full, count=count)


@bench_group.command("custom-fields", with_appcontext=False)
@click.option("--customers", default=1_000_000, show_default=True, help="customers to seed into an empty database")
@click.option("--requests", "count", default=30, show_default=True)
def bench_custom_fields(customers, count):
    """A list filtered on a custom field vs on a native indexed column: p50/p95, SQL ms, ratio (target 2×)."""
    from bench.custom_fields import main as run_bench

    sys.exit(run_bench(customers, count))


@bench_group.command("grading", with_appcontext=False)
@click.option("--full", is_flag=True, help="the seeded million-row database instead of the bounded SQLite run")
def bench_grading(full):
    """Grading every customer from scratch (set-based) and one customer after a change."""
    from bench.bench_grading import main as run_bench

    run_bench(full=full)


@bench_group.command("import", with_appcontext=False)
@click.option("--rows", default=100_000, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
def bench_import(rows, fmt):
    """Import ROWS customers from a generated workbook: seconds, CPU per row and peak RSS."""
    from bench.bench_import import run as run_bench

    run_bench(rows=rows, fmt=fmt)


@bench_group.command("load", with_appcontext=False)
@click.option("--users", default=200, show_default=True, help="concurrent simulated clerks")
@click.option("--seconds", default=300, show_default=True)
@click.option("--web", default=2, show_default=True, help="gunicorn web processes")
@click.option("--workers", default=2, show_default=True, help="RQ worker processes")
def bench_load(users, seconds, web, workers):
    """Locust drives simulated clerks against web and worker processes; p95 per route, throughput."""
    from bench.bench_load import main as run_bench

    run_bench(users=users, seconds=seconds, web=web, workers=workers)


@bench_group.command("rss", with_appcontext=False)
@click.option("--requests", "count", default=1000, show_default=True)
@click.option("--stubs", type=click.IntRange(0), default=None,
              help="how many lazily loadable packages to weigh one by one (default: all)")
@click.option("--packages", type=click.IntRange(1), default=None,
              help="how many of the packages loaded at start to weigh alone (default: all; those the app imports first)")
def bench_rss(count, stubs, packages):
    """A web process's RSS after COUNT mixed requests, and the HTML size of each list page."""
    from bench.bench_rss import main as run_bench

    run_bench(count=count, stubs=stubs, packages=packages)


@bench_group.command("inventory", with_appcontext=False)
@click.option("--runs", default=300, show_default=True)
@click.option("--rate", default=200, show_default=True, help="stock moves per second")
@click.option("--seconds", default=60, show_default=True)
@click.option("--workers", default=16, show_default=True)
def bench_inventory(runs, rate, seconds, workers):
    """Availability, the stock list and concurrent stock moves (seed with bench/seed_inventory.py)."""
    from bench.bench_inventory import main as run_bench

    run_bench(runs, rate, seconds, workers)


cli.add_command(workflows_group)
cli.add_command(contracts_group)
cli.add_command(purchasing_group)

if __name__ == "__main__":
    cli()
