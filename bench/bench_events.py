"""Marketing events at scale (issue 20), on the database seeded by bench/seed_events.py (PostgreSQL):

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench20 python -m bench.bench_events 50 --seconds 60

1. Pages: the event list, the registrations (all, and searched by name), the check-in lookup (a code scanned at the desk:
   found and checked in), 活动效果分析 (the period's events compared, one big event alone, its chart), 活动日程 —
   through the application in this process (Flask's test client, signed in, permissions and data scope applied)
   as an admin (scope all) and a marketer (department), p50/p95 with the SQL time beside it.
2. Registrations: RATE a second on one new event for SECONDS seconds, from PROCESSES processes (as many as
   gunicorn's workers: WEB_CONCURRENCY, 2 by default as in deploy/gunicorn.conf.py), each registration the public
   page's service call; its capacity is 80% of what is sent, so
   it fills up and the rest go on the waiting list. Printed: registrations committed a second, their latency,
   and whether anything overbooked (the kept counters against the rows).
Each figure is printed beside its target.
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import time

import psutil
from sqlalchemy import func, select

from bench.bench_customers import SqlClock, _pct, _sign_in, measure_pages, print_report
from bench.common import load, say
from bench.seed_customers import STAFF_PASSWORD

LIST_MS, CHECKIN_MS, ANALYSIS_MS, RATE_TARGET = 60, 50, 300, 500


def endpoints(big: int, small: int) -> list:
    return [
        ("event list", "web", LIST_MS, lambda p, k: f"/events/list/?page_EventView={p}"),
        ("event list status=open", "web", LIST_MS, lambda p, k: "/events/list/?_flt_0_status=open"),
        ("registration list", "web", LIST_MS,
         lambda p, k: f"/event_registrations/list/?page_EventRegistrationView={p}"),
        ("registrations by name", "web", LIST_MS, lambda p, k: "/event_registrations/list/?_flt_2_name=者424242"),
        ("registrations by mobile", "web", LIST_MS,
         lambda p, k: "/event_registrations/list/?_flt_2_phone=0004242"),
        ("event analysis", "web", ANALYSIS_MS, lambda p, k: "/event_analysis/"),
        ("event analysis one event", "web", ANALYSIS_MS, lambda p, k: f"/event_analysis/?event={big}&window=60"),
        ("event analysis kind", "web", ANALYSIS_MS, lambda p, k: "/event_analysis/?kind=exhibition"),
        ("event analysis chart", "web", ANALYSIS_MS, lambda p, k: "/event_analysis/chart.json"),
        ("event schedule month", "web", ANALYSIS_MS, lambda p, k: "/event_schedule/"),
        ("event schedule timeline", "web", ANALYSIS_MS, lambda p, k: "/event_schedule/?view=timeline"),
        ("event detail", "web", LIST_MS, lambda p, k: f"/events/show/{small}"),
    ]


def _check_ins(app, client, clock, event_id: int, count: int) -> tuple[list, list, int]:
    """`count` registrations of the event scanned at its desk (each a new one): times, SQL times, failures."""
    from app.extensions import db
    from app.modules.events.models import EventRegistration

    with app.app_context():
        codes = list(db.session.scalars(select(EventRegistration.code).where(
            EventRegistration.event_id == event_id, EventRegistration.status == "registered",
            EventRegistration.checked_in_at.is_(None)).limit(count + 5)))
        db.session.remove()
    times, sql, failed = [], [], 0
    for code in codes[:5]:                                           # warm-up
        client.post(f"/event_checkin/{event_id}/scan", data={"code": code}).close()
    for code in codes[5:]:
        clock.reset("check-in")
        started = time.perf_counter()
        resp = client.post(f"/event_checkin/{event_id}/scan", data={"code": code.lower()})
        times.append((time.perf_counter() - started) * 1000)
        sql.append(clock.total * 1000)
        failed += resp.status_code != 200
        resp.close()
    return times, sql, failed


def _register_worker(event_id: int, start_at: float, per_second: float, count: int, offset: int, out) -> None:
    """One process's share of the registrations, paced: its results go back on `out`."""
    from app import create_app
    from app.core.errors import DomainError
    from app.extensions import db
    from app.modules.events import service

    app = create_app()
    latencies, outcomes = [], {}
    with app.app_context():
        db.session.execute(select(1))
        db.session.remove()
        time.sleep(max(0.0, start_at - time.time()))
        began = time.perf_counter()
        for i in range(count):
            due = began + i / per_second
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            person = {"name": f"压测{offset + i}", "phone": f"15{offset + i:09d}", "company": "压测公司",
                      "consent": "1"}
            started = time.perf_counter()
            try:
                status = service.register(None, event_id, person).status
            except DomainError as exc:
                status = exc.code
            except Exception as exc:   # counted and reported
                status = type(exc).__name__
            finally:
                db.session.remove()
            latencies.append((time.perf_counter() - started) * 1000)
            outcomes[status] = outcomes.get(status, 0) + 1
        out.put((latencies, outcomes, time.perf_counter() - began))


def registrations(app, rate: int, seconds: int, processes: int) -> bool:
    """Registrations on one event at `rate` a second for `seconds`; True when nothing overbooked."""
    import datetime as dt

    from app.core.clock import utcnow
    from app.core.org import User
    from app.extensions import db
    from app.modules.events import service
    from app.modules.events.models import Event, EventRegistration

    total = rate * seconds
    capacity = int(total * 0.8)
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "marketer_01"))
        start = utcnow() + dt.timedelta(days=3)
        made = service.create_event(owner, Event(title=f"压测活动{int(time.time())}", kind="meeting", starts_at=start,
                                                 ends_at=start + dt.timedelta(hours=3), capacity=capacity,
                                                 budget=1000, asked="company"))
        service.advance(owner, made.id, "open")
        event_id = made.id
        base = db.session.scalar(select(func.count()).select_from(EventRegistration)) or 0
        db.session.remove()
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    share = total // processes
    start_at = time.time() + 8                                          # the processes' apps start meanwhile
    workers = [context.Process(target=_register_worker, args=(event_id, start_at, rate / processes, share,
                                                               (base + 1) * 10 + n * share, out))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=seconds * 4 + 120) for _ in workers]
    for worker in workers:
        worker.join()
    latencies = [value for result in results for value in result[0]]
    outcomes: dict[str, int] = {}
    for result in results:
        for key, value in result[1].items():
            outcomes[key] = outcomes.get(key, 0) + value
    elapsed = max(result[2] for result in results)
    with app.app_context():
        event = db.session.get(Event, event_id)
        rows = dict(db.session.execute(select(EventRegistration.status, func.count()).where(
            EventRegistration.event_id == event_id).group_by(EventRegistration.status)).all())
        db.session.remove()
    committed = outcomes.get("registered", 0) + outcomes.get("waiting", 0)
    per_second = committed / elapsed if elapsed else 0
    sound = (event.registered <= capacity and rows.get("registered", 0) == event.registered
             and rows.get("waiting", 0) == event.waiting and event.registered == min(capacity, committed))
    say(f"\nRegistrations on one event: {total:,} sent at {rate}/s from {processes} processes over {seconds}s, "
        f"capacity {capacity:,}")
    say(f"  outcomes: {outcomes}")
    say(f"  committed {committed:,} in {elapsed:.1f}s = {per_second:.0f}/s (target {RATE_TARGET}/s: "
        f"{'yes' if per_second >= RATE_TARGET * 0.98 else 'NO'}); latency p50 {statistics.median(latencies):.1f} ms, "
        f"p95 {_pct(latencies, 0.95):.1f} ms, max {max(latencies):.1f} ms")
    say(f"  kept counters: registered {event.registered:,} / capacity {capacity:,}, waiting {event.waiting:,}; rows: "
        f"{rows}; overbooked: {'no' if sound else 'YES'}")
    return sound


def main(count: int, rate: int, seconds: int, processes: int) -> None:
    from app import create_app
    from app.core.org import User
    from app.extensions import db
    from app.modules.events.models import Event, EventRegistration

    app = create_app(WTF_CSRF_ENABLED=False)
    admin_password = os.environ.get("ADMIN_PASSWORD") or "admin123"
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            raise SystemExit("The events bench runs on PostgreSQL: set DATABASE_URL.")
        events = db.session.scalar(select(func.count()).select_from(Event))
        regs = db.session.scalar(select(func.count()).select_from(EventRegistration))
        big = db.session.scalar(select(Event.id).where(Event.status == "ended").order_by(Event.registered.desc())
                                .limit(1))
        small = db.session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        desk = db.session.scalar(select(Event.id).where(Event.status == "open").order_by(Event.registered.desc())
                                 .limit(1))
        marketer = db.session.scalar(select(User.username).where(User.username == "marketer_01"))
        clock = SqlClock(db.engine)
        db.session.remove()
    say(f"Data: {events:,} events, {regs:,} registrations; {load()}")
    sessions = {"admin": _sign_in(app, "admin", admin_password), "marketer": _sign_in(app, marketer, STAFF_PASSWORD)}
    points = endpoints(big, small)
    started = time.perf_counter()
    timings, sql_ms, queries, failures, _took = measure_pages(sessions, points, clock, count, random.Random(20))
    print_report(points, sessions, timings, sql_ms, queries, failures, count, count, time.perf_counter() - started,
                 psutil.Process().memory_info().rss / 2 ** 20)
    times, sql, failed = _check_ins(app, sessions["admin"][0], clock, desk, max(count, 20))
    say(f"\nCheck-in lookup ({len(times)} codes scanned at the desk of an open event): p50 "
        f"{statistics.median(times):.1f} ms, p95 {_pct(times, 0.95):.1f} ms (sql p50 {statistics.median(sql):.1f} ms; "
        f"target p95 < {CHECKIN_MS} ms: {'yes' if _pct(times, 0.95) < CHECKIN_MS else 'NO'})"
        + (f" ({failed} non-200)" if failed else ""))
    sound = registrations(app, rate, seconds, processes)
    say(f"\n{load()}")
    if not sound:
        raise SystemExit("overbooked")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=50)
    parser.add_argument("--rate", type=int, default=RATE_TARGET)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--processes", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
    args = parser.parse_args()
    main(args.count, args.rate, args.seconds, args.processes)
