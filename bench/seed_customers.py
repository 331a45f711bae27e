"""Bulk-load a benchmark organisation and N customers with contacts and interactions.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/zwt_bench python run.py bench seed --customers 1000000

Each customer gets on average BENCH_INTERACTIONS_PER_CUSTOMER (default 10) interactions, so a
million customers come with ten million; a few customers have thousands (the longest timelines).

The schema, permissions, roles and admin come from the app's own setup code; the organisation
(about 30 departments, 300 staff) goes through the ORM and FAB's security manager; customers and
contacts bypass the ORM (COPY on PostgreSQL, executemany on SQLite) because a million service
calls would take hours. They are therefore not in the audit log.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time

from sqlalchemy import func, select, text, update
from werkzeug.security import generate_password_hash

from app.modules.customers.models import INDUSTRY_CHOICES, SOURCE_CHOICES
from app.modules.customers.seed import BRANDS, CITIES, FAMILY, GIVEN, TITLES, TRADES

STAFF_PASSWORD = "demo1234"
CHUNK = 50_000
CUSTOMER_COLUMNS = ("id", "code", "name", "kind", "industry", "region", "address", "phone", "email", "source",
                    "status", "credit_limit", "notes", "owner_id", "department_id", "created_at", "updated_at",
                    "paid_12m", "cooperating_since", "lost_at")
INTERACTION_COLUMNS = ("id", "customer_id", "contact_id", "kind", "subject", "content", "occurred_at",
                       "duration_minutes", "outcome", "next_follow_up_on", "user_id", "created_at")
HEAVY_CUSTOMERS, HEAVY_INTERACTIONS = 20, 3000
NULL = "\\N"  # COPY's text format
CONTACT_COLUMNS = ("id", "customer_id", "name", "title", "phone", "email", "is_primary", "notes", "created_at")

# (code, name, parent code, sales staff in it)
DEPARTMENTS = [
    ("B-HQ", "总公司", None, 0), ("B-GM", "总经办", "B-HQ", 0), ("B-SALES", "销售中心", "B-HQ", 0),
    ("B-E", "华东大区", "B-SALES", 0), ("B-S", "华南大区", "B-SALES", 0), ("B-N", "华北大区", "B-SALES", 0),
    ("B-W", "西南大区", "B-SALES", 0), ("B-C", "华中大区", "B-SALES", 0),
    ("B-E1", "上海销售一部", "B-E", 16), ("B-E2", "上海销售二部", "B-E", 14), ("B-E3", "杭州销售部", "B-E", 14),
    ("B-E4", "苏州销售部", "B-E", 12), ("B-E5", "南京销售部", "B-E", 12), ("B-S1", "深圳销售部", "B-S", 16),
    ("B-S2", "广州销售部", "B-S", 14), ("B-S3", "厦门销售部", "B-S", 10), ("B-S4", "东莞销售部", "B-S", 10),
    ("B-N1", "北京销售一部", "B-N", 16), ("B-N2", "北京销售二部", "B-N", 14), ("B-N3", "天津销售部", "B-N", 10),
    ("B-N4", "青岛销售部", "B-N", 10), ("B-W1", "成都销售部", "B-W", 14), ("B-W2", "重庆销售部", "B-W", 12),
    ("B-W3", "昆明销售部", "B-W", 8), ("B-C1", "武汉销售部", "B-C", 14), ("B-C2", "长沙销售部", "B-C", 10),
    ("B-C3", "郑州销售部", "B-C", 10), ("B-KA", "大客户部", "B-SALES", 10), ("B-FIN", "财务部", "B-HQ", 0),
    ("B-PUR", "采购部", "B-HQ", 0), ("B-WH", "仓储物流部", "B-HQ", 0), ("B-MKT", "市场部", "B-HQ", 0),
]
MORE_CITIES = [("河南省", "郑州"), ("湖南省", "长沙"), ("陕西省", "西安"), ("重庆市", "重庆"), ("天津市", "天津"),
               ("安徽省", "合肥"), ("江西省", "南昌"), ("辽宁省", "沈阳"), ("辽宁省", "大连"), ("浙江省", "宁波"),
               ("江苏省", "南京"), ("江苏省", "无锡"), ("福建省", "福州"), ("广东省", "东莞"), ("广东省", "佛山"),
               ("山东省", "济南"), ("河北省", "石家庄"), ("云南省", "昆明"), ("广西壮族自治区", "南宁"), ("黑龙江省", "哈尔滨")]
STREETS = ["人民路", "解放路", "建设大道", "高新区科技路", "经济开发区创业路", "中山路", "长江路"]
SYLLABLES = "金华盛泰丰源达兴隆昌鑫宇辰星光明海天润安康恒信诚德嘉禾中美凯越腾飞博远宏图万通新锦"
STATUS_WEIGHTS = (["potential", "active", "dormant", "lost"], [4, 6, 2, 1])
INDUSTRY_WEIGHTS = [22, 14, 12, 9, 8, 4, 4, 6, 7, 4, 8, 2]  # manufacturing … other, as a sales team sees them
CREDIT_LIMITS = [0, 0, 50_000, 100_000, 200_000, 500_000, 1_000_000]
MOBILE_PREFIXES = ["138", "139", "136", "150", "158", "186", "188", "177", "199"]


def _say(message: str) -> None:
    print(message, flush=True)


def build_org(app, rng: random.Random) -> list[tuple[int, int, float]]:
    """Departments and staff (idempotent); returns [(user id, department id, share of customers)]."""
    from app.core.org import Department, User, place_department
    from app.core.transaction import unit_of_work
    from app.extensions import db

    sm = app.appbuilder.sm
    admin = db.session.scalar(select(User).order_by(User.id).limit(1))
    depts: dict[str, Department] = {}
    with unit_of_work(admin):
        for code, name, parent, _n in DEPARTMENTS:
            dept = db.session.scalar(select(Department).where(Department.code == code))
            if dept is None:
                dept = Department(code=code, name=name, parent=depts.get(parent))
                db.session.add(dept)
                db.session.flush()
                place_department(dept)
            depts[code] = dept
    # One hash for every account: hashing 300 passwords one by one would dominate the setup.
    hashed = generate_password_hash(STAFF_PASSWORD)
    roles = {name: sm.find_role(name) for name in ("Manager", "Sales")}
    plan = []  # (username, role, dept code, manager username)
    for code, _name, parent, sales in DEPARTMENTS:
        if parent in (None, "B-HQ") and code != "B-SALES":
            continue
        boss = f"mgr_{code[2:].lower()}"
        above = f"mgr_{parent[2:].lower()}" if parent not in (None, "B-HQ") else None
        plan.append((boss, "Manager", code, above))
        plan += [(f"sales_{code[2:].lower()}_{i:02d}", "Sales", code, boss) for i in range(1, sales + 1)]
    users = {}
    for username, role, _code, _boss in plan:
        user = sm.find_user(username=username)
        if user is None:
            user = sm.add_user(username, rng.choice(GIVEN), rng.choice(FAMILY), f"{username}@bench.zhangwutong.cn",
                               roles[role], hashed_password=hashed)
        users[username] = user.id
    with unit_of_work(admin):
        for username, _role, code, boss in plan:
            user = db.session.get(User, users[username])
            user.department_id = depts[code].id
            user.manager_id = users.get(boss)
            if username == f"mgr_{code[2:].lower()}":
                depts[code].head_id = user.id
        if admin is not None and admin.department_id is None:
            admin.department_id = depts["B-GM"].id
    # Uneven books, as in any sales team: a few people hold many customers.
    return [(users[u], depts[c].id, rng.lognormvariate(0, 0.6) * (0.3 if r == "Manager" else 1.0))
            for u, r, c, _b in plan]


def _cities():
    pool = [(province, city, streets) for province, city, streets in CITIES]
    pool += [(province, city, STREETS) for province, city in MORE_CITIES]
    return pool


def _created(cid: int, n: int, start: dt.datetime, span: float) -> dt.datetime:
    # Rising with the id, as rows arrive over time, with a little jitter between neighbours.
    jitter = (cid * 2654435761 % 1000) / 1000
    return start + dt.timedelta(seconds=span * (cid - jitter) / n)


def _window() -> tuple[dt.datetime, float]:
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    start = now - dt.timedelta(days=3 * 365)
    return start, (now - start).total_seconds()


def customer_rows(n: int, owners, seed: int = 2026):
    """Yield chunks of customer rows with ids 1..n, created over the last three years."""
    rng = random.Random(seed)
    cities = _cities()
    industries = [c for c, _l in INDUSTRY_CHOICES]
    sources = [c for c, _l in SOURCE_CHOICES]
    owner_ids = [o[0] for o in owners]
    dept_of = {o[0]: o[1] for o in owners}
    weights = [o[2] for o in owners]
    start, span = _window()
    for first in range(1, n + 1, CHUNK):
        m = min(CHUNK, n - first + 1)
        ind = rng.choices(industries, INDUSTRY_WEIGHTS, k=m)
        city = rng.choices(cities, k=m)
        own = rng.choices(owner_ids, weights, k=m)
        status = rng.choices(*STATUS_WEIGHTS, k=m)
        src = rng.choices(sources, k=m)
        credit = rng.choices(CREDIT_LIMITS, k=m)
        rows = []
        for j in range(m):
            cid, r, r2 = first + j, rng.random(), rng.random()
            province, city_name, streets = city[j]
            created = _created(cid, n, start, span)
            if r < 0.08:
                kind, name = "person", rng.choice(FAMILY) + rng.choice(GIVEN)
            else:
                brand = rng.choice(BRANDS) if r < 0.5 else rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
                kind = "company"
                name = f"{city_name}{brand}{rng.choice(TRADES[ind[j]])}{'股份有限公司' if r2 > 0.8 else '有限公司'}"
            address = f"{province if province != city_name + '市' else ''}{city_name}市{rng.choice(streets)}{1 + cid % 997}号"
            phone = f"0{10 + cid % 990}-{2_000_000 + (cid * 7919) % 88_000_000}" if r2 < 0.6 else None
            email = f"info{cid}@example.cn" if r2 > 0.4 else None
            # Spend of the last 12 months (what collections will feed): many pay nothing, a few a lot.
            paid = 0 if r2 < 0.35 else round(min(rng.lognormvariate(11.5, 1.4), 20_000_000), 2)
            since = (created - dt.timedelta(days=int(r * 2000))).date() if r2 > 0.5 else created.date()
            lost_at = created + dt.timedelta(days=30 + cid % 300) if status[j] == "lost" else None
            rows.append((cid, f"KH-{created.year}-{cid:08d}", name, kind, ind[j], province, address, phone, email,
                         src[j], status[j], credit[j], None, own[j], dept_of[own[j]], created, created,
                         paid, since, lost_at))
        yield rows


def contact_rows(n: int, k: int, seed: int = 2027):
    """Yield chunks of k contacts per customer 1..n, the first one primary."""
    rng = random.Random(seed)
    start, span = _window()
    contact_id = 0
    for first in range(1, n + 1, CHUNK):
        rows = []
        for cid in range(first, min(first + CHUNK, n + 1)):
            created = _created(cid, n, start, span)
            for c in range(k):
                contact_id += 1
                rows.append((contact_id, cid, rng.choice(FAMILY) + rng.choice(GIVEN), rng.choice(TITLES),
                             rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}",
                             f"contact{contact_id}@example.cn", c == 0, None, created))
        yield rows


# (kind, subject, content, outcome)
INTERACTION_TEXTS = [
    ("call", "电话沟通采购需求", "客户计划下季度扩充产线，询问批量采购的价格和交期。", "interested"),
    ("call", "回访使用情况", "客户反馈设备运行稳定，希望安排一次操作培训。", "reached"),
    ("call", "催问报价反馈", "采购经理出差，约定下周再联系。", "no_answer"),
    ("visit", "上门拜访", "拜访总经理和技术负责人，参观车间，了解现有供应商情况。", "interested"),
    ("visit", "现场演示", "带样品到现场演示，技术部认可性能，等待内部评审。", "quoted"),
    ("meeting", "商务谈判", "就年度框架协议的价格、账期和售后条款进行谈判。", "quoted"),
    ("meeting", "项目启动会", "双方确认项目范围、里程碑和对接人。", "won"),
    ("note", "客户背景", "当地龙头企业，今年预算收紧，决策周期较长。", ""),
    ("email", "发送产品资料", "已发送产品手册、报价单和成功案例。", "reached"),
    ("call", "确认付款进度", "财务表示月底前安排付款。", "reached"),
]


def interaction_counts(n: int, per_customer: float, seed: int = 2028) -> list[int]:
    """How many interactions each customer 1..n has: skewed (many have a few, some dozens), a
    handful of long-standing accounts thousands; about n * per_customer in all."""
    if per_customer <= 0:
        return [0] * n
    rng = random.Random(seed)
    counts = [int(rng.expovariate(1 / per_customer) + 0.5) for _ in range(n)]
    for i in range(min(HEAVY_CUSTOMERS, n)):
        counts[(i * 7919) % n] = HEAVY_INTERACTIONS
    return counts


def interaction_lines(customers, counts: list[int], contacts_per_customer: int, seed: int = 2029):
    """Yield chunks of COPY text lines, customer by customer, each customer's interactions in
    time order between its creation and now; the newest may plan a follow-up."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0)
    texts = INTERACTION_TEXTS
    interaction_id = 0
    lines: list[str] = []
    for cid, owner_id, created in customers:
        k = counts[cid - 1]
        if not k:
            continue
        span = max((now - created).total_seconds(), 60.0)
        offsets = sorted(rng.random() for _ in range(k))
        for j, offset in enumerate(offsets):
            interaction_id += 1
            at = created + dt.timedelta(seconds=int(span * offset))
            kind, subject, content, outcome = texts[rng.randrange(len(texts))]
            contact = str((cid - 1) * contacts_per_customer + 1 + rng.randrange(contacts_per_customer)) \
                if contacts_per_customer and kind != "note" else NULL
            follow = (at.date() + dt.timedelta(days=rng.choice((3, 7, 14, 30)))).isoformat() \
                if j == k - 1 and rng.random() < 0.5 else NULL
            duration = str(rng.choice((5, 10, 15, 30, 60))) if kind in ("call", "visit", "meeting") else NULL
            stamp = at.isoformat(sep=" ")
            lines.append("\t".join((str(interaction_id), str(cid), contact, kind, subject, content, stamp, duration,
                                    outcome or NULL, follow, str(owner_id), stamp)) + "\n")
        if len(lines) >= CHUNK * 4:
            yield lines
            lines = []
    if lines:
        yield lines


def _pg_load_interactions(session, n: int, contacts_per_customer: int, per_customer: float) -> int:
    """COPY the interactions (indexes and foreign keys dropped meanwhile, then rebuilt), then
    set each customer's last interaction and next follow-up from them, set-based."""
    conn = session.connection().connection.driver_connection
    cur = conn.cursor()
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cur.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                   WHERE i.indrelid = 'interaction'::regclass
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""")
    indexes = cur.fetchall()
    cur.execute("""SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                   WHERE contype IN ('f', 'u') AND conrelid = 'interaction'::regclass""")
    constraints = cur.fetchall()
    for name, _definition in constraints:
        cur.execute(f'ALTER TABLE interaction DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cur.execute(f"DROP INDEX {name}")
    cur.execute("TRUNCATE interaction")
    counts = interaction_counts(n, per_customer)
    owners = session.connection().exec_driver_sql("SELECT id, owner_id, created_at FROM customer ORDER BY id").all()
    done = 0
    with cur.copy(f"COPY interaction ({', '.join(INTERACTION_COLUMNS)}) FROM STDIN WITH (FREEZE)") as copy:
        for lines in interaction_lines(owners, counts, contacts_per_customer):
            copy.write("".join(lines))
            done += len(lines)
            if done % 1_000_000 < CHUNK * 4:
                _say(f"  interaction: {done:,}")
    _say("  rebuilding interaction indexes and foreign keys")
    for _name, definition in indexes:
        cur.execute(definition)
    for name, definition in constraints:
        cur.execute(f'ALTER TABLE interaction ADD CONSTRAINT "{name}" {definition}')
    cur.execute("SELECT setval(pg_get_serial_sequence('interaction', 'id'), (SELECT max(id) FROM interaction))")
    _say("  last interaction and next follow-up of each customer")
    cur.execute("""UPDATE customer c SET last_interaction_at = l.at, next_follow_up_on = l.follow
                   FROM (SELECT DISTINCT ON (customer_id) customer_id, occurred_at AS at, next_follow_up_on AS follow
                         FROM interaction ORDER BY customer_id, occurred_at DESC, id DESC) l
                   WHERE c.id = l.customer_id""")
    return done


def _sqlite_load_interactions(session, n: int, contacts_per_customer: int, per_customer: float) -> int:
    conn = session.connection().connection.driver_connection
    owners = conn.execute("SELECT id, owner_id, created_at FROM customer ORDER BY id").fetchall()
    owners = [(cid, owner, dt.datetime.fromisoformat(created)) for cid, owner, created in owners]
    sql = f"INSERT INTO interaction ({', '.join(INTERACTION_COLUMNS)}) VALUES ({', '.join('?' * len(INTERACTION_COLUMNS))})"
    done = 0
    for lines in interaction_lines(owners, interaction_counts(n, per_customer), contacts_per_customer):
        rows = [[None if v == NULL else v for v in line.rstrip("\n").split("\t")] for line in lines]
        conn.executemany(sql, rows)
        done += len(rows)
    conn.execute("""UPDATE customer SET
                      last_interaction_at = (SELECT max(occurred_at) FROM interaction i WHERE i.customer_id = customer.id),
                      next_follow_up_on = (SELECT next_follow_up_on FROM interaction i WHERE i.customer_id = customer.id
                                           ORDER BY occurred_at DESC, id DESC LIMIT 1)""")
    _say(f"  interaction: {done:,}")
    return done


def _pg_load(session, customers, contacts) -> list[int]:
    """COPY into customer and contact inside one transaction, with secondary indexes and
    foreign keys dropped for the load and rebuilt afterwards (one sort each instead of a
    million random index insertions and row-by-row FK triggers)."""
    conn = session.connection().connection.driver_connection
    cur = conn.cursor()
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    cur.execute("""SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i
                   WHERE i.indrelid IN ('customer'::regclass, 'contact'::regclass)
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""")
    indexes = cur.fetchall()
    cur.execute("""SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint
                   WHERE contype = 'f' AND conrelid IN ('customer'::regclass, 'contact'::regclass)""")
    fkeys = cur.fetchall()
    for table, name, _definition in fkeys:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cur.execute(f"DROP INDEX {name}")
    # Emptied in this transaction, so COPY may write frozen, all-visible rows (no vacuum needed
    # before index-only scans); only possible while nothing else references the tables.
    cur.execute("SAVEPOINT truncate")
    try:
        cur.execute("TRUNCATE customer, contact")
        freeze = " WITH (FREEZE)"
    except Exception:
        cur.execute("ROLLBACK TO SAVEPOINT truncate")
        freeze = ""
    counts = []
    for table, columns, chunks in (("customer", CUSTOMER_COLUMNS, customers), ("contact", CONTACT_COLUMNS, contacts)):
        done = 0
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN{freeze}") as copy:
            for rows in chunks:
                for row in rows:
                    copy.write_row(row)
                done += len(rows)
                if done % 200_000 < CHUNK:
                    _say(f"  {table}: {done:,}")
        counts.append(done)
    _say("  rebuilding indexes and foreign keys")
    for _name, definition in indexes:
        cur.execute(definition)
    for table, name, definition in fkeys:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for table in ("customer", "contact"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    return counts


def _sqlite_load(session, customers, contacts) -> list[int]:
    conn = session.connection().connection.driver_connection
    counts = []
    for table, columns, chunks in (("customer", CUSTOMER_COLUMNS, customers), ("contact", CONTACT_COLUMNS, contacts)):
        # Stored the way SQLAlchemy's SQLite DateTime type writes and parses them.
        stamps = [i for i, c in enumerate(columns) if c in ("created_at", "updated_at", "lost_at")]
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        done = 0
        for rows in chunks:
            batch = [list(r) for r in rows]
            for row in batch:
                for i in stamps:
                    row[i] = row[i].strftime("%Y-%m-%d %H:%M:%S.%f") if row[i] is not None else None
            conn.executemany(sql, batch)
            done += len(batch)
        _say(f"  {table}: {done:,}")
        counts.append(done)
    return counts


def set_counter(session, value: int) -> None:
    """Make the customer numbering rule continue after the loaded codes."""
    from app.core.numbering import NumberingCounter, NumberingRule, _period

    rule = session.scalar(select(NumberingRule).where(NumberingRule.code == "customer"))
    period = _period(rule.reset if rule else "yearly", dt.date.today())
    done = session.execute(update(NumberingCounter).where(NumberingCounter.rule_code == "customer",
                                                           NumberingCounter.period == period).values(value=value))
    if not done.rowcount:
        session.add(NumberingCounter(rule_code="customer", period=period, value=value))


def main(n: int, contacts_per_customer: int = 2) -> None:
    from app import create_app
    from app.core.setup import initialise
    from app.extensions import db
    from app.modules.customers.models import Customer

    started = time.perf_counter()
    app = create_app()
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=True)
        _say(f"Database: {url}")
        initialise("admin", os.environ.get("ADMIN_PASSWORD", ""))
        if db.session.scalar(select(func.count()).select_from(Customer)):
            sys.exit("The database already has customers: seed into a fresh database (see bench/seed_customers.py).")
        owners = build_org(app, random.Random(7))
        _say(f"Organisation: {len(DEPARTMENTS)} departments, {len(owners)} staff "
             f"(password {STAFF_PASSWORD}) in {time.perf_counter() - started:.1f}s")
        load_started = time.perf_counter()
        postgres = db.engine.dialect.name == "postgresql"
        session = db.session
        customers, contacts = (_pg_load if postgres else _sqlite_load)(
            session, customer_rows(n, owners), contact_rows(n, contacts_per_customer))
        set_counter(session, n)
        session.commit()
        per_customer = float(os.environ.get("BENCH_INTERACTIONS_PER_CUSTOMER", "10"))
        interactions = (_pg_load_interactions if postgres else _sqlite_load_interactions)(
            session, n, contacts_per_customer, per_customer)
        session.commit()
        loaded = time.perf_counter() - load_started
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # VACUUM too: filling in each customer's last interaction rewrote every customer row,
            # and a freshly loaded table has no visibility map, so index-only scans (deep pages,
            # scope branches) would read the heap for every key.
            conn.execute(text("VACUUM ANALYZE customer" if postgres else "ANALYZE"))
            if postgres:
                conn.execute(text("VACUUM ANALYZE contact"))
                conn.execute(text("VACUUM ANALYZE interaction"))
                # The organisation too: without statistics the planner takes 272 staff for 80 and may
                # join a million rows to them before keeping a page's 25.
                conn.execute(text("ANALYZE"))
    total = time.perf_counter() - started
    rows = customers + contacts + interactions
    _say(f"Loaded {customers:,} customers, {contacts:,} contacts and {interactions:,} interactions in {loaded:.1f}s "
         f"({customers / loaded:,.0f} customers/s, {rows / loaded:,.0f} rows/s); total {total:.1f}s "
         f"including schema, organisation and ANALYZE.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
