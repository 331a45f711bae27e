"""Simulated clerks of the load test (bench/bench_load.py starts locust with this file).

Two kinds of user, each signed in once as one of the benchmark organisation's people:

- Clerk (a sales person): opens the work bench, browses the customer, contact, contract and
  interaction lists (page 1, deeper pages, a quick filter or a sort taken from the page's own
  links, a search by a name seen on the page), opens records, runs the global search, logs an
  interaction on a customer's page, and now and then writes a contract and submits it for
  approval. Every fourth clerk is on the phone app too: it signs in to the REST API (JWT) and
  reads the customer list and a customer there.
- Approver (the clerks' department managers): browses the same way (department scope), and
  works the approvals inbox: opens each waiting task and approves it.

Forms are read first and posted back with their csrf_token, as a browser does. A request counts
as an error when it answers anything but the expected status (200 for pages, 302 for a form
that succeeded), when a page sends the user back to the sign-in page, or when a posted form comes
back with a message. The plan (who signs in, the password, the tag written into what the clerks
create) is a JSON file named by BENCH_LOAD_PLAN; BENCH_LOAD_WAIT="min,max" is the think time in
seconds between two actions of one user (default 10,30: a clerk between calls and paperwork);
BENCH_LOAD_TOUR=1 makes every user, once signed in, take every kind of action once in a row.
"""
from __future__ import annotations

import itertools
import json
import os
import random
import re
from html import unescape
from urllib.parse import quote, urlencode

from locust import FastHttpUser, between, task

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8").read())
WAIT = tuple(float(x) for x in os.environ.get("BENCH_LOAD_WAIT", "10,30").split(","))
TAG = PLAN["tag"]
# A past moment, older than the seeded history: a logged interaction never becomes a customer's
# latest one (unless it has none), so the bench changes no follow-up date.
LOGGED_AT = PLAN.get("logged_at", "2022-01-03T10:00")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LISTS = {"customers": "CustomerView", "contacts": "ContactView", "contracts": "ContractView",
         "interactions": "InteractionView"}
SEARCH_WORDS = {"customers": ["华", "金", "科技", "盛泰", "信"], "contacts": ["王", "李", "张", "经理"],
                "contracts": ["合同", "采购", "服务"], "interactions": ["拜访", "电话", "报价"]}
GLOBAL_WORDS = ["华信", "科技", "王", "KH-", "HT-", "138"]

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_SHOW = {name: re.compile(rf'href="/{name}/show/(\d+)"') for name in LISTS}
_TASK = re.compile(r'href="/approvals/task/(\d+)"')
_ERROR = re.compile(r'class="[^"]*(?:alert-danger|zwt-field-error)[^"]*"[^>]*>\s*([^<]{1,200})')

_people = {kind: itertools.cycle(PLAN[kind]) for kind in ("sales", "managers")}
_rest = itertools.count()
_turns = itertools.count()


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    return found.group(1) if found else ""


class Person(FastHttpUser):
    abstract = True
    wait_time = between(*WAIT)
    kind = "sales"
    network_timeout = connection_timeout = 120.0

    def on_start(self):
        self.username = next(_people[self.kind])
        self.seen: dict[str, list[int]] = {name: [] for name in LISTS}
        self.customers: list[int] = []
        self.jwt = None
        self.sign_in()
        self.turn = next(_turns)

    # -- requests with their checks
    def page(self, path: str, name: str, expect: int = 200) -> str:
        """GET a page; anything but `expect` (or the sign-in page instead) is an error."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as resp:
            text = resp.text or ""
            if resp.status_code != expect:
                resp.failure(f"{resp.status_code} (expected {expect}) for {path}")
            elif 'action="/login/"' in text and "/login" not in path:
                resp.failure(f"signed out on {path}")
            else:
                resp.success()
            return text if resp.status_code == expect else ""

    def post_form(self, path: str, name: str, data: dict, expect: int = 302) -> str | None:
        """POST a form; the answer must be `expect` (302: done, redirected). Returns Location."""
        with self.client.post(path, name=name, data=urlencode(data), headers=FORM, allow_redirects=False,
                              catch_response=True) as resp:
            if resp.status_code != expect:
                found = _ERROR.search(resp.text or "")
                message = " ".join(unescape(found.group(1)).split()) if found else ""
                resp.failure(f"{resp.status_code} (expected {expect}) for POST {path} {message}".strip())
                return None
            location = resp.headers.get("Location") or ""
            if "/login" in location:
                resp.failure(f"signed out on POST {path}")
                return None
            resp.success()
            return location

    def sign_in(self):
        form = self.page("/login/", "sign-in page")
        self.post_form("/login/", "sign in (POST)", {"username": self.username, "password": PLAN["password"],
                                                     "csrf_token": _csrf(form)})

    def remember(self, name: str, html: str) -> list[int]:
        ids = [int(x) for x in dict.fromkeys(_SHOW[name].findall(html))]
        if ids:
            self.seen[name] = ids
            if name == "customers":
                self.customers = ids
        return ids

    # -- what every clerk does
    @task(3)
    def home(self):
        self.page("/", "home")

    def tour(self, turn: int):
        """Once after signing in: every kind of request, the list variants taken in turns, so that
        even a short run with a few users asks for every route."""
        self.home()
        for n, name in enumerate(LISTS):
            self.browse_list(name, (n + turn) % 4 / 4 + 0.05)
            self.open_record(name)
        self.global_search()
        self.log_interaction()

    def first_steps(self, *steps):
        """The tour when BENCH_LOAD_TOUR=1 (short runs with a few users), else nothing: the tasks
        come at random, a think time apart."""
        if os.environ.get("BENCH_LOAD_TOUR") == "1":
            self.tour(self.turn)
            for step in steps:
                step()

    @task(12)
    def browse_list(self, name: str | None = None, roll: float | None = None):
        name = name or random.choice(list(LISTS))
        view = LISTS[name]
        html = self.page(f"/{name}/list/", f"{name} list page 1")
        self.remember(name, html)
        roll = random.random() if roll is None else roll
        if roll < 0.25:
            deep = random.randint(2, PLAN["deep_pages"][self.kind])
            self.remember(name, self.page(f"/{name}/list/?page_{view}={deep - 1}", f"{name} list deeper page"))
        elif roll < 0.5:
            chips = sorted(set(re.findall(rf'href="(/{name}/list/\?(?:status|mine|period)=[^"&]+)"', html)))
            if chips:
                self.remember(name, self.page(unescape(random.choice(chips)), f"{name} list quick filter"))
        elif roll < 0.75:
            sorts = sorted(set(re.findall(rf'href="(/{name}/list/\?_oc_{view}=[^"]+)"', html)))
            if sorts:
                self.remember(name, self.page(unescape(random.choice(sorts)), f"{name} list sorted"))
        else:
            word = self.search_word(name, html)
            self.remember(name, self.page(f"/{name}/list/?q={quote(word)}", f"{name} list search"))

    @staticmethod
    def search_word(name: str, html: str) -> str:
        """What a clerk types to find a record they know: four characters from the middle of a
        name seen on the page (past a customer's city), a whole short name, or a common word."""
        seen = [unescape(t).strip() for t in re.findall(rf'href="/{name}/show/\d+">([^<]{{2,80}})<', html)]
        seen = [t for t in seen if t and not t.isascii()]
        if not seen:
            return random.choice(SEARCH_WORDS[name])
        text = random.choice(seen)
        return text[2:6] if len(text) >= 6 else text

    @task(10)
    def open_record(self, name: str | None = None):
        name = name or random.choice([n for n in LISTS if self.seen[n]] or ["customers"])
        if not self.seen[name]:
            self.remember(name, self.page(f"/{name}/list/", f"{name} list page 1"))
        if self.seen[name]:
            self.page(f"/{name}/show/{random.choice(self.seen[name])}", f"{name[:-1]} record")

    @task(2)
    def global_search(self):
        self.page(f"/search/?q={quote(random.choice(GLOBAL_WORDS))}", "global search")

    @task(4)
    def log_interaction(self):
        if not self.customers:
            self.remember("customers", self.page("/customers/list/", "customers list page 1"))
        if not self.customers:
            return
        pk = random.choice(self.customers)
        self.page(f"/customers/show/{pk}", "customer record")
        # The page draws its tabs when opened: the 跟进 tab brings the form, as in the browser.
        html = self.page(f"/customers/show/{pk}/tab/timeline", "customer timeline tab")
        if f'/customer_timeline/{pk}/log"' not in html:
            return          # a customer this person may read but not manage (e.g. a manager's view)
        self.post_form(f"/customer_timeline/{pk}/log", "log interaction (POST)", {
            "csrf_token": _csrf(html), "kind": random.choice(["call", "visit", "note"]), "contact": "",
            "occurred_at": LOGGED_AT, "duration_minutes": str(random.randint(5, 60)), "outcome": "reached",
            "subject": f"{TAG} 跟进 {self.username}", "content": "电话沟通本季度采购计划。",
            "next_follow_up_on": "", "next": f"/customers/show/{pk}"})


class Clerk(Person):
    """A sales person (own data scope)."""

    kind = "sales"
    weight = 1

    def on_start(self):
        super().on_start()
        self.contracts = 0
        if next(_rest) % 4 == 0:
            with self.client.post("/api/v1/security/login", name="REST sign in (POST)", catch_response=True,
                                  json={"username": self.username, "password": PLAN["password"], "provider": "db"}) as resp:
                if resp.status_code == 200 and "access_token" in (resp.text or ""):
                    self.jwt = json.loads(resp.text)["access_token"]
                    resp.success()
                else:
                    resp.failure(f"{resp.status_code} for the REST sign-in")
        self.first_steps(self.rest_reads, self.write_and_submit_contract)

    @task(3)
    def rest_reads(self):
        if not self.jwt:
            return
        auth = {"Authorization": f"Bearer {self.jwt}"}
        query = quote("(page:0,page_size:25)")
        with self.client.get(f"/api/v1/customers/?q={query}", name="REST customers list", headers=auth,
                             catch_response=True) as resp:
            ids = json.loads(resp.text).get("ids", []) if resp.status_code == 200 else []
        if ids:
            self.client.get(f"/api/v1/customers/{random.choice(ids)}", name="REST customer", headers=auth)

    @task(1)
    def write_and_submit_contract(self):
        if not self.customers:
            self.remember("customers", self.page("/customers/list/?status=active", "customers list quick filter"))
        if not self.customers:
            return
        form = self.page("/contracts/add", "contract add form")
        box = re.search(r'<select[^>]*id="owner"[^>]*>(.*?)</select>', form or "", re.S)
        owner = box and re.search(r'<option(?=[^>]*\bselected\b)[^>]*value="(\d+)"', box.group(1))
        if not form or not owner:
            return
        self.contracts += 1
        title = f"{TAG} {self.username} 第{self.contracts}份"
        done = self.post_form("/contracts/add", "contract add (POST)", {
            "csrf_token": _csrf(form), "title": title, "customer": str(random.choice(self.customers)),
            "amount": f"{random.randint(1_000, 90_000)}.00", "standard_terms": "y", "starts_on": "2026-01-01",
            "ends_on": "2026-12-31", "owner": owner.group(1), "department": "", "notes": ""})
        if done is None:
            return
        found = self.page(f"/contracts/list/?q={quote(title)}", "contracts list search")
        ids = _SHOW["contracts"].findall(found)
        if not ids:
            return
        pk = ids[0]
        self.page(f"/contracts/show/{pk}", "contract record")
        show = self.page(f"/contracts/show/{pk}/tab/approval", "contract approval tab")
        if f'/approvals/submit/contracts/{pk}"' in show:
            self.post_form(f"/approvals/submit/contracts/{pk}", "submit for approval (POST)",
                           {"csrf_token": _csrf(show), "comment": ""})


class Approver(Person):
    """A department manager (department scope) who approves the clerks' contracts."""

    kind = "managers"
    fixed_count = int(os.environ.get("BENCH_LOAD_APPROVERS", "1"))

    def on_start(self):
        super().on_start()
        self.first_steps(self.approve_waiting)

    @task(40)          # more often than any of the lists: what the manager is there for
    def approve_waiting(self):
        inbox = self.page("/approvals/", "approvals inbox")
        for task_id in list(dict.fromkeys(_TASK.findall(inbox)))[:5]:
            page = self.page(f"/approvals/task/{task_id}", "approval task")
            version = re.search(r'name="task_version" value="(\d+)"', page)
            if version is None:
                continue            # handled meanwhile (the page shows no decision form)
            self.post_form(f"/approvals/task/{task_id}/approve", "approve (POST)", {
                "csrf_token": _csrf(page), "task_version": version.group(1), "comment": "同意",
                "next": f"/approvals/task/{task_id}"})
