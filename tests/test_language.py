"""Everything a user of the Chinese locale reads is Chinese.

A fresh database with the demo data (Chinese company, staff, customers, contracts and approvals
under way); the admin opens every page the menu reaches — each list, one record's page, its add
and edit forms, the charts, the security and system screens — and the API's descriptions and
error answers. The visible text (and placeholders, titles, the search filters' names and values)
may hold no English word outside an allow-list: brand and format names, units, and the demo's
own data (user names, department codes, e-mail addresses).
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from tests.conftest import menu_links, menu_of

# Words that are the same in every language: brands, formats, protocols.
ALLOWED = {
    "API", "CSV", "Excel", "ECharts", "PDF", "XLSX", "xlsx", "csv", "JSON", "YAML", "HTTP", "HTTPS", "URL",
    "REST", "SMTP", "SMS", "TOTP", "ID", "CEL", "UTF", "GBK", "BOM", "Bearer", "Authorization", "JWT", "OpenAPI",
    "OpenID", "LDAP", "Swagger", "ZhangWuTong", "IP", "PostgreSQL", "SQLite", "Redis", "IT", "VIP", "ERP", "MB",
    "Microsoft", "Google", "Authenticator", "FreeOTP",     # authenticator apps the 2FA page suggests
    "SKU",          # the product code, so named in Chinese business software too (库存单位)
    "English",      # the language menu names each language in itself
    "sst",          # the prefix of personal API keys
    "Rison", "q",   # the API's query parameter and its notation
    "Werkzeug",     # the test client's browser name, recorded in the login history
    "ZP", "PP", "SJ", "HZ",   # invoice number prefixes: 专票, 普票, 收据, 红字
    "GY",                     # the supplier number prefix (供应商)
}
# Pages that are not screens of the app but tools with their own language (the OpenAPI browser).
NOT_SCREENS = re.compile(r"^/swagger/")
SKIP_LINKS = re.compile(r"^/(logout|lang)/|/delete/|/download|/export|/template|\.(csv|xlsx|pdf)(\?|$)|^/api/"
                        r"|[?&](page|psize|_oc|_od)_")   # other pages and orders of a list already seen
ATTRIBUTES = {"placeholder", "title", "alt", "aria-label", "data-placeholder", "data-loading-text",
              "data-original-title", "data-confirm"}
WORD = re.compile(r"[A-Za-z][A-Za-z_'’]*(?:-[A-Za-z]+)*")
# Identifiers, addresses, e-mail addresses, file names, numbers with letters, placeholders of
# numbering patterns ({yyyy}), class names (RoleModelView) and one-letter codes (grade A) are
# data or codes, not words.
NOT_WORDS = re.compile(r"\S+@\S+|https?://\S+|(?<!\w)/[\w/.\-?=&%]*|\b[\w.-]*\d[\w.-]*\b|\b\w+\.(?:xlsx|csv|yaml|pdf)\b"
                       r"|\{[^{}]*\}|\b[A-Z][a-z]+(?:[A-Z][a-z0-9]*)+\b|\b[A-Z]\b"
                       r"|[A-Za-z0-9_/]+\.(?:csv|py|yaml|yml|xlsx)(?![A-Za-z])(?:\s+[a-z]+\b)?"   # files, commands: run.py init
                       r"|\b[a-z]+(?:\.[a-z_]+)+\b|[=!]=\s*(?:true|false|null)\b"   # approval conditions: doc.x == false
                       r"|\[[a-z_]+\]")   # a step's id in the approval chain's diagram: [manager]
CODE_TAGS = ("code", "kbd", "samp")


@pytest.fixture(scope="module")
def demo_words(demo):
    """Words of the demo's own data: user names, department, warehouse, zone and bin codes."""
    from sqlalchemy import select

    from app.core.org import Department, User
    from app.extensions import db

    from app.core.numbering import NumberingRule

    with demo.app_context():
        words = set(db.session.scalars(select(User.username)))
        words |= {code for code in db.session.scalars(select(Department.code)) if code}
        from app.modules.inventory.models import Warehouse, WarehouseBin, WarehouseZone

        for model in (Warehouse, WarehouseZone, WarehouseBin):     # warehouse, zone and bin codes
            words |= {part for code in db.session.scalars(select(model.code)) for part in code.split("-")}
        for rule in db.session.scalars(select(NumberingRule)):
            words |= {rule.code, rule.pattern.split("-")[0]}
        db.session.remove()
    return words


# -- what a page shows ---------------------------------------------------------------------------
class _Visible(HTMLParser):
    """Text nodes outside script/style, and the attributes people read; plus the names and values
    FAB's search form receives as JSON in its inline script."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skip = 0
        self._code = 0
        self._in_script = False
        self._script = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in CODE_TAGS or (tag in ("textarea", "pre") and "zwt-source" in (attrs.get("class") or "")):
            self._code += 1   # code, and the YAML source of approval chains in their editor
        if tag in ("script", "style", "template"):
            self._skip += 1
            self._in_script = tag == "script" and "src" not in attrs
            self._script = []
        for name, value in attrs.items():
            if value and name in ATTRIBUTES:
                self.texts.append(value)
        if tag == "input" and attrs.get("type") in ("submit", "button", "reset") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if (tag in CODE_TAGS or tag in ("textarea", "pre")) and self._code:
            self._code -= 1
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
            if tag == "script" and self._in_script:
                self._search_form("".join(self._script))
            self._in_script = False

    def handle_data(self, data):
        if self._skip:
            if self._in_script:
                self._script.append(data)
            return
        if data.strip() and not self._code:
            self.texts.append(data)

    def _search_form(self, script: str) -> None:
        start = script.find("new AdminFilters(")
        if start < 0:
            return
        rest = script[start + len("new AdminFilters("):]
        decoder = json.JSONDecoder()
        args = []
        position = rest.index(",") + 1   # the form's selector
        for _n in range(4):
            while rest[position] in " \n\t\r,":
                position += 1
            value, position = decoder.raw_decode(rest, position)
            args.append(value)
        labels, form_fields, search_filters, _active = args
        self.texts.extend(str(v) for v in labels.values())
        for field_html in form_fields.values():
            inner = _Visible()
            inner.feed(field_html)
            self.texts.extend(inner.texts)
        for filters in search_filters.values():
            self.texts.extend(str(f["name"] if isinstance(f, dict) else f[-1]) for f in filters)


def visible_texts(html: str) -> list[str]:
    parser = _Visible()
    parser.feed(html)
    return parser.texts


def english(texts: list[str], allowed: set[str]) -> list[str]:
    """Each English word with the text around it."""
    found = []
    for piece in texts:
        cleaned = NOT_WORDS.sub(" ", piece)
        for match in WORD.finditer(cleaned):
            word = match.group(0)
            if word in allowed or word.strip("'’_") in allowed:
                continue
            found.append(f"{word!r} in {piece.strip()[:90]!r}")
    return found


# -- the pages -----------------------------------------------------------------------------------
def _links(html: str, pattern: str = "") -> list[str]:
    out = []
    for href in re.findall(r'href="([^"]+)"', html):
        href = href.replace("&amp;", "&").split("#", 1)[0]
        if href.startswith("/") and not href.startswith("//") and not SKIP_LINKS.search(href) and pattern in href:
            if href not in out:
                out.append(href)
    return out


def _menu(client, html: str) -> list[str]:
    sidebar = html.split('<aside id="zwt-sidebar"', 1)[1].split("</aside>", 1)[0]
    topbar = html.split('<header class="zwt-topbar"', 1)[1].split("</header>", 1)[0]
    return _links(sidebar + "".join(f'href="{url}"' for url in menu_links(client, html)) + topbar)


def _menu_labels(client, html: str) -> str:
    """The menu's words as the page shows them."""
    labels = [entry[1] for entry in menu_of(client, html)]
    labels += [child[1] for entry in menu_of(client, html) for child in entry[4] or []]
    return "".join(f"<p>{label}</p>" for label in labels)


def _sign_in(app, username="admin", password="admin-pass-123"):
    client = app.test_client()
    resp = client.post("/login/", data={"username": username, "password": password})
    assert resp.status_code == 302, f"could not sign in as {username}"
    return client


def _family(path: str) -> str:
    """Pages of one kind: /customers/show/7 and /customers/show/9 are one family."""
    base, _sep, query = path.partition("?")
    keys = sorted(part.split("=", 1)[0] for part in query.split("&") if part)
    return re.sub(r"\d+", "N", base) + ("?" + "&".join(keys) if keys else "")


def crawl(client, start: list[str], limit: int = 250) -> dict[str, str]:
    """path -> HTML of the pages reachable from `start` by links, one page of each family (one
    record's page, one edit form ... of each kind)."""
    pages: dict[str, str] = {}
    families: set[str] = set()
    queue = list(start)
    while queue and len(pages) < limit:
        path = queue.pop(0)
        family = _family(path)
        if path in pages or (family in families and path not in start) or NOT_SCREENS.search(path):
            continue
        families.add(family)
        resp = client.get(path)
        if resp.status_code in (301, 302):
            pages[path] = ""
            target = resp.headers["Location"]
            if target.startswith("/"):
                queue.append(target)
            continue
        assert resp.status_code < 500, f"{path} answered {resp.status_code}"
        if not resp.content_type.startswith("text/html"):
            continue
        html = resp.get_data(as_text=True)
        pages[path] = html
        queue.extend(link for link in _links(html) if _family(link) not in families)
    return pages


def test_every_page_the_admin_reaches_is_in_chinese(demo, demo_words):
    client = _sign_in(demo)
    home = client.get("/").get_data(as_text=True)
    start = ["/"] + _menu(client, home) + ["/users/userinfo/", "/notifications/", "/approvals/?tab=submitted",
                                   "/approvals/?tab=cc", "/approvals/?tab=handled"]
    pages = crawl(client, start)
    assert len(pages) > 40, sorted(pages)
    pages["the menu"] = _menu_labels(client, home)
    allowed = ALLOWED | demo_words
    problems = []
    for path, html in pages.items():
        for found in english(visible_texts(html), allowed):
            problems.append(f"{path}: {found}")
    assert problems == [], f"{len(problems)} English words on Chinese pages:\n" + "\n".join(problems)


def test_a_sales_users_pages_are_in_chinese(demo, demo_words):
    client = _sign_in(demo, "lina", "demo1234")
    home = client.get("/").get_data(as_text=True)
    pages = crawl(client, ["/"] + _menu(client, home) + ["/users/userinfo/"], limit=120)
    pages["the menu"] = _menu_labels(client, home)
    assert len(pages) > 15, sorted(pages)
    problems = [f"{path}: {found}" for path, html in pages.items()
                for found in english(visible_texts(html), ALLOWED | demo_words)]
    assert problems == [], f"{len(problems)} English words on Chinese pages:\n" + "\n".join(problems)


def test_date_pickers_and_select_boxes_load_their_chinese_texts(demo):
    client = _sign_in(demo)
    html = client.get("/contracts/add").get_data(as_text=True)
    for script in ("/static/vendor/select2/i18n/zh-CN.js",
                   "/static/vendor/bootstrap-datepicker/locales/bootstrap-datepicker.zh-CN.min.js"):
        assert re.search(rf'src="{re.escape(script)}(\?v=[0-9a-f]+)?"', html)
        body = client.get(script).get_data(as_text=True)
        assert "未找到结果" in body or "今天" in body
    # After FAB's scripts: the language of both widgets and the select boxes' placeholder.
    assert html.index("/static/js/i18n.js") > html.index("/static/appbuilder/js/ab.js")
    assert re.search(r'src="/static/js/i18n.js(\?v=[0-9a-f]+)?" data-language="zh-CN"\s+data-placeholder="请选择…"', html)
    assert "__None" not in "".join(visible_texts(html))
    client.get("/lang/en")
    english_page = client.get("/contracts/add").get_data(as_text=True)
    assert "zh-CN.js" not in english_page and 'data-language="en"' in english_page


def _api_texts(info: dict) -> list[str]:
    """What an API client shows people from /_info: titles, field labels, descriptions, rules,
    and the names of the filters."""
    texts = [info.get("add_title", ""), info.get("edit_title", "")]
    for key in ("add_columns", "edit_columns"):
        for column in info.get(key, []):
            texts += [column.get("label", ""), column.get("description", ""), *map(str, column.get("validate", []))]
    for filters in info.get("filters", {}).values():
        texts += [f["name"] for f in filters]
    return [t for t in texts if t]


def _api_client(app, username, password):
    client = app.test_client()
    resp = client.post("/api/v1/security/login", json={"username": username, "password": password, "provider": "db"})
    assert resp.status_code == 200, resp.get_json()
    return client, {"Authorization": f"Bearer {resp.get_json()['access_token']}"}


def test_api_descriptions_are_in_chinese_not_the_catalogues_header(demo, demo_words):
    from app.core.registry import registry

    from app.core.registry import column_choices

    client, admin = _api_client(demo, "admin", "admin-pass-123")
    # The values an API field accepts are codes (可选值：call, visit ...).
    codes = {value for spec in registry.specs.values() for choices in column_choices(spec.model).values()
             for value, _label in choices}
    problems = []
    for name, api in registry.apis.items():
        resp = client.get(f"/api/v1/{api.resource_name}/_info", headers=admin)
        assert resp.status_code == 200, name
        texts = _api_texts(resp.get_json())
        assert texts, name
        assert not any("Project-Id-Version" in t for t in texts), f"{name}: gettext('') leaks the catalogue header"
        problems += [f"{name}: {found}" for found in english(texts, ALLOWED | demo_words | codes)]
    assert problems == [], "\n".join(problems)


def test_api_errors_are_in_chinese(demo, demo_words):
    from app.core.registry import column_choices, registry

    codes = {value for spec in registry.specs.values() for choices in column_choices(spec.model).values()
             for value, _label in choices}
    client, admin = _api_client(demo, "admin", "admin-pass-123")
    _client, sales = _api_client(demo, "lina", "demo1234")
    answers = {
        "no token": client.get("/api/v1/customers/"),
        "bad token": client.get("/api/v1/customers/", headers={"Authorization": "Bearer not-a-token"}),
        "wrong password": client.post("/api/v1/security/login",
                                      json={"username": "admin", "password": "wrong-pass-1", "provider": "db"}),
        "unknown record": client.get("/api/v1/customers/99999999", headers=admin),
        "forbidden": client.post("/api/v1/departments/", json={"name": "测试部"}, headers=sales),
        "bad payload": client.post("/api/v1/customers/", json={"name": "", "credit_limit": "abc", "kind": "zzz",
                                                               "nope": 1}, headers=admin),
        "bad query": client.get("/api/v1/customers/?q=(((", headers=admin),
        "wrong method": client.delete("/api/v1/customers/", headers=admin),
    }
    problems = []
    for case, resp in answers.items():
        assert 400 <= resp.status_code < 500, f"{case}: {resp.status_code}"
        body = resp.get_json()
        assert body and "message" in body, f"{case}: {body}"
        message = body["message"]
        texts = [message] if isinstance(message, str) else [m for ms in message.values() for m in ms]
        problems += [f"{case}: {found}" for found in english(texts, ALLOWED | demo_words | codes)]
    assert problems == [], "\n".join(problems)
