"""An admin sets the company's name and logo under 系统管理; every page, the sign-in page and the
browser tab show them. Only admins may change them; a logo is accepted by what the file is
(PNG, JPEG, WebP, or SVG that cannot run scripts or fetch anything), and bad input changes
nothing."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import delete

from app.core.branding import LOGO_KEY, NAME_KEY, branding
from app.core.preferences import SiteSetting, get_setting, get_setting_row
from app.extensions import db
from tests.conftest import menu_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 200
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 200
WEBP = b"RIFF\x00\x01\x00\x00WEBPVP8 " + b"\x00" * 200
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" '
       b'xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 32 32"><defs><linearGradient id="g">'
       b'<stop offset="0" stop-color="#1677ff"/></linearGradient></defs>'
       b'<rect width="32" height="32" rx="6" fill="url(#g)"/><use xlink:href="#g"/></svg>')
UNSAFE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "handler": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>',
    "external image": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
                      b'<image xlink:href="https://evil.example/x.png"/></svg>',
    "javascript link": b'<svg xmlns="http://www.w3.org/2000/svg"><a href="javascript:alert(1)"><text>x</text></a></svg>',
    "external style": b'<svg xmlns="http://www.w3.org/2000/svg"><style>rect{fill:url(https://evil.example/f)}</style></svg>',
    "import": b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import "https://evil.example/a.css";</style></svg>',
    "entities": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg">&a;</svg>',
    "foreign object": b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">'
                      b'x</div></foreignObject></svg>',
}
YEAR = "public, max-age=31536000, immutable"


@pytest.fixture
def fresh(app, ctx):
    """No company name or logo stored, before and after the test."""
    def clear():
        db.session.execute(delete(SiteSetting).where(SiteSetting.key.in_([NAME_KEY, LOGO_KEY])))
        db.session.commit()

    clear()
    yield
    clear()


def _save(client, name="星海贸易有限公司", logo: bytes | None = None, filename="logo.png"):
    data = {"name": name}
    if logo is not None:
        data["logo"] = (io.BytesIO(logo), filename)
    return client.post("/branding/", data=data, content_type="multipart/form-data")


def _stored_name():
    db.session.expire_all()
    return get_setting(NAME_KEY)


def _branding(app) -> dict:
    """branding() as a new request sees it."""
    with app.app_context(), app.test_request_context():
        return branding()


def _title(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


def test_without_a_setting_the_name_is_the_apps_and_there_is_no_logo(app, fresh):
    assert _branding(app) == {"name": "掌务通", "logo_url": None}
    assert app.jinja_env.globals["zwt_branding"] is branding


def test_an_admin_names_the_company_and_every_page_and_the_tab_show_it(org, login, fresh):
    admin = login(org.admin)
    resp = _save(admin, name="  星海   贸易有限公司 ")
    assert resp.status_code == 302
    assert _stored_name() == "星海 贸易有限公司"
    page = admin.get("/branding/").get_data(as_text=True)
    assert _title(page).endswith("星海 贸易有限公司")
    assert "星海 贸易有限公司" in admin.get("/customers/list/").get_data(as_text=True)
    assert "星海 贸易有限公司" in login(org.east_rep).get("/").get_data(as_text=True)


def test_the_sign_in_page_shows_the_name_and_logo(app, org, login, fresh):
    _save(login(org.admin), name="星海贸易", logo=PNG)
    page = app.test_client().get("/login/").get_data(as_text=True)
    assert "星海贸易" in page
    logo_url = re.search(r'src="(/branding/logo\?v=[0-9a-f]{12})"', page)
    assert logo_url, "the sign-in page shows the logo"
    assert app.test_client().get(logo_url.group(1)).data == PNG


@pytest.mark.parametrize("name", ["", "   ", "星" * 41, "星海\u0007贸易"])
def test_a_bad_name_is_refused_in_chinese_and_nothing_is_saved(org, login, fresh, name):
    admin = login(org.admin)
    _save(admin, name="原来的名称")
    resp = _save(admin, name=name, logo=PNG)
    assert resp.status_code == 400
    page = resp.get_data(as_text=True)
    assert "公司名称" in page and ("1 到 40 个字" in page or "无法显示" in page)
    assert _stored_name() == "原来的名称"
    assert get_setting_row(LOGO_KEY) is None, "a refused name keeps the logo out too"


def test_forty_characters_are_accepted(org, login, fresh):
    assert _save(login(org.admin), name="星" * 40).status_code == 302
    assert _stored_name() == "星" * 40


@pytest.mark.parametrize("logo, content_type", [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"),
                                                (SVG, "image/svg+xml")])
def test_a_logo_is_served_with_its_type_and_kept_until_it_changes(app, org, login, fresh, logo, content_type):
    admin = login(org.admin)
    assert _save(admin, logo=logo, filename="logo.bin").status_code == 302
    url = _branding(app)["logo_url"]
    assert re.fullmatch(r"/branding/logo\?v=[0-9a-f]{12}", url)
    client = app.test_client()
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].split(";")[0] == content_type
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Cache-Control"] == YEAR
    assert resp.data == logo
    again = client.get(url, headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/branding/logo").headers["Cache-Control"] == "public, max-age=300"
    _save(admin, logo=PNG if logo != PNG else JPEG)
    assert _branding(app)["logo_url"] != url, "a new logo gets a new address"


@pytest.mark.parametrize("kind", sorted(UNSAFE_SVGS))
def test_an_svg_that_could_run_or_fetch_something_is_refused(org, login, fresh, kind):
    resp = _save(login(org.admin), name="新名称", logo=UNSAFE_SVGS[kind], filename="logo.svg")
    assert resp.status_code == 400
    assert "不能用作标志" in resp.get_data(as_text=True) or "须为" in resp.get_data(as_text=True)
    assert get_setting_row(LOGO_KEY) is None
    assert _stored_name() is None, "nothing is saved, the name neither"


@pytest.mark.parametrize("content, filename", [
    (b"just some text, not an image", "logo.png"),
    (b"GIF89a" + b"\x00" * 100, "logo.gif"),
    (b"<html><body>hi</body></html>", "logo.svg"),
    (b"MZ\x90\x00" + b"\x00" * 100, "logo.webp"),
])
def test_a_file_that_is_no_accepted_image_is_refused_whatever_its_name(org, login, fresh, content, filename):
    resp = _save(login(org.admin), logo=content, filename=filename)
    assert resp.status_code == 400
    assert "须为 PNG、JPEG、SVG 或 WebP 格式的图片" in resp.get_data(as_text=True)
    assert get_setting_row(LOGO_KEY) is None


def test_a_logo_over_200_kb_is_refused(org, login, fresh):
    resp = _save(login(org.admin), logo=PNG + b"\x00" * (200 * 1024))
    assert resp.status_code == 400
    assert "不能超过 200 KB" in resp.get_data(as_text=True)
    assert get_setting_row(LOGO_KEY) is None


def test_restoring_the_default_removes_the_logo(app, org, login, fresh):
    admin = login(org.admin)
    _save(admin, logo=PNG)
    page = admin.get("/branding/").get_data(as_text=True)
    assert 'id="zwt-branding-reset"' in page and "恢复默认" in page
    assert admin.post("/branding/reset").status_code == 302
    db.session.expire_all()
    assert get_setting_row(LOGO_KEY) is None
    assert _branding(app)["logo_url"] is None
    assert app.test_client().get("/branding/logo").status_code == 404
    assert 'id="zwt-branding-reset"' not in admin.get("/branding/").get_data(as_text=True)


def test_the_screen_previews_the_name_and_logo_and_explains_the_limits(org, login, fresh):
    admin = login(org.admin)
    _save(admin, name="星海贸易", logo=PNG)
    page = admin.get("/branding/").get_data(as_text=True)
    assert 'id="zwt-branding-sample"' in page
    assert re.search(r'id="zwt-branding-sample-logo" src="/branding/logo\?v=', page)
    assert 'id="zwt-branding-sample-name">星海贸易<' in page
    assert "200KB" in page and "<code>SVG</code>" in page
    assert 'enctype="multipart/form-data"' in page and 'name="csrf_token"' in page


def test_the_admin_finds_the_screen_under_system_administration(org, login, fresh):
    admin = login(org.admin)
    page = admin.get("/branding/").get_data(as_text=True)
    system = next(entry for entry in menu_of(admin, page) if entry[0] == "menu:system")
    assert ["公司名称与标志", "/branding/"] in [[label, url] for _name, label, _icon, url in system[4]]
    assert 'data-active="/branding/"' in page                     # its entry is marked when it is open
    assert "公司名称与标志" in page


@pytest.mark.parametrize("role_user", ["east_rep", "manager"])
def test_only_admins_may_open_or_change_the_branding(org, login, fresh, role_user):
    client = login(getattr(org, role_user))
    opened = client.get("/branding/")
    assert opened.status_code in (302, 403)
    if opened.status_code == 302:
        assert "/branding" not in opened.headers["Location"]
    for resp in (_save(client, name="篡改的名称", logo=PNG), client.post("/branding/reset")):
        assert resp.status_code in (302, 403)
    assert _stored_name() is None
    assert get_setting_row(LOGO_KEY) is None
    assert 'href="/branding/"' not in client.get("/").get_data(as_text=True)
