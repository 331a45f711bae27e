"""Pages load fast the second time and light the first: every static file a page names carries
its content's fingerprint and is then kept by the browser for a year, pages and text assets
travel compressed (brotli or gzip), already compressed files travel as they are, and exports
keep streaming while they are compressed."""
from __future__ import annotations

import gzip
import hashlib
import re
import zlib

import brotli
import pytest
from flask import Flask, Response, stream_with_context, url_for

from app.core import assets
from tests.factories import make_customer

STATIC_URL = re.compile(r"""(?:href|src)="(/static/[^"]+)\"""")
YEAR = "public, max-age=31536000, immutable"


def _decode(resp) -> bytes:
    encoding = resp.headers.get("Content-Encoding")
    if encoding == "br":
        return brotli.decompress(resp.data)
    if encoding == "gzip":
        return gzip.decompress(resp.data)
    assert encoding is None, encoding
    return resp.data


def _static_urls(html: str) -> list[str]:
    return [url.replace("&amp;", "&") for url in STATIC_URL.findall(html)]


def test_every_static_file_a_page_names_carries_its_content_fingerprint(app):
    client = app.test_client()
    urls = _static_urls(client.get("/login/").get_data(as_text=True))
    assert any("/static/appbuilder/" in u for u in urls), "FAB's own assets are fingerprinted too"
    assert any(re.match(r"/static/(css|js)/", u) for u in urls), urls
    for url in urls:
        path, _, query = url.partition("?")
        resp = client.get(url)               # no Accept-Encoding: the file as it is served
        if resp.status_code == 404:          # a file still to be written has nothing to fingerprint
            continue
        fingerprint = re.fullmatch(r"v=([0-9a-f]{12})", query)
        assert fingerprint, f"{url} has no fingerprint"
        body = resp.data
        assert hashlib.sha256(body).hexdigest()[:12] == fingerprint.group(1), url


def test_url_for_fingerprints_the_app_and_fab_static_endpoints(app):
    with app.test_request_context():
        ours = url_for("static", filename="css/zwt.css")
        fabs = url_for("appbuilder.static", filename="js/ab.js")
        missing = url_for("static", filename="css/no-such-file.css")
        pinned = url_for("static", filename="css/zwt.css", v="mine")
    assert re.fullmatch(r"/static/css/zwt\.css\?v=[0-9a-f]{12}", ours)
    assert re.fullmatch(r"/static/appbuilder/js/ab\.js\?v=[0-9a-f]{12}", fabs)
    assert missing == "/static/css/no-such-file.css"
    assert pinned == "/static/css/zwt.css?v=mine"


def test_a_fingerprinted_url_is_kept_a_year_and_any_other_for_minutes(app):
    client = app.test_client()
    with app.test_request_context():
        url = url_for("appbuilder.static", filename="css/bootstrap.min.css")
    plain, stale = url.split("?")[0], url.split("?")[0] + "?v=000000000000"
    fresh = client.get(url)
    assert fresh.status_code == 200
    assert fresh.headers["Cache-Control"] == YEAR
    for other in (plain, stale):
        resp = client.get(other)
        assert resp.status_code == 200 and resp.data == fresh.data
        assert resp.headers["Cache-Control"] == "public, max-age=300", other


@pytest.mark.parametrize("encoding", [None, "br", "gzip"])
def test_conditional_requests_answer_not_modified(app, encoding):
    client = app.test_client()
    with app.test_request_context():
        url = url_for("appbuilder.static", filename="js/jquery-latest.js")
    headers = {"Accept-Encoding": encoding} if encoding else {}
    first = client.get(url, headers=headers)
    etag = first.headers["ETag"]
    again = client.get(url, headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["Cache-Control"] == YEAR
    changed = client.get(url, headers={**headers, "If-None-Match": '"something-else"'})
    assert changed.status_code == 200 and _decode(changed) == _decode(first)


def test_fonts_named_by_a_style_sheet_are_fingerprinted_and_kept_a_year(app):
    client = app.test_client()
    with app.test_request_context():
        url = url_for("appbuilder.static", filename="css/fontawesome/solid.min.css")
    css = client.get(url).get_data(as_text=True)
    font = re.search(r"url\((\.\./webfonts/fa-solid-900\.woff2\?v=[0-9a-f]{12})\)", css)
    assert font, css
    font_url = "/static/appbuilder/css/webfonts/" + font.group(1).removeprefix("../webfonts/")
    resp = client.get(font_url, headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == YEAR
    assert resp.headers["Content-Type"] == "font/woff2"
    assert "Content-Encoding" not in resp.headers, "WOFF2 is compressed already"
    assert hashlib.sha256(resp.data).hexdigest()[:12] == font_url.rsplit("=", 1)[1]


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_style_sheets_and_scripts_travel_compressed(app, encoding):
    client = app.test_client()
    with app.test_request_context():
        urls = [url_for("appbuilder.static", filename="css/bootstrap.min.css"),
                url_for("appbuilder.static", filename="js/jquery-latest.js")]
    for url in urls:
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": f"{encoding}, identity;q=0.5"})
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == encoding
        assert "Accept-Encoding" in packed.headers["Vary"]
        assert len(packed.data) < len(plain.data) / 2
        assert _decode(packed) == plain.data
        assert int(packed.headers["Content-Length"]) == len(packed.data)


def test_small_files_and_images_travel_as_they_are(app):
    client = app.test_client()
    resp = client.get("/static/appbuilder/img/fab.png", headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "image/png"
    assert "Content-Encoding" not in resp.headers


def test_pages_travel_compressed(app):
    client = app.test_client()
    plain = client.get("/login/")
    packed = client.get("/login/", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    text = _decode(packed).decode()
    assert "<form" in text and len(packed.data) < len(plain.data) / 2


def test_json_travels_compressed(org, login):
    client = login(org.admin)
    resp = client.get("/api/v1/_openapi", headers={"Accept-Encoding": "br"})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "br"
    assert b'"openapi"' in _decode(resp)


def test_a_compressed_api_answer_keeps_the_record_version_as_its_etag(app, org, api_token):
    """API clients send the ETag back as If-Match: compression must not change it."""
    customer = make_customer(org.east_rep, name="版本号客户", address="很长的地址" * 40)
    client, headers = app.test_client(), {**api_token(org.admin), "Accept-Encoding": "gzip, br"}
    got = client.get(f"/api/v1/customers/{customer.id}", headers=headers)
    assert got.headers["Content-Encoding"] in ("br", "gzip")
    version = __import__("json").loads(_decode(got))["version"]
    assert got.headers["ETag"] == f'"{version}"'
    changed = client.put(f"/api/v1/customers/{customer.id}", json={"address": "新地址"},
                         headers={**headers, "If-Match": got.headers["ETag"]})
    assert changed.status_code == 200, _decode(changed)


def test_unknown_or_outside_files_are_not_found(app):
    client = app.test_client()
    assert client.get("/static/css/no-such-file.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404
    assert client.get("/static/appbuilder/../../__init__.py").status_code == 404


def test_the_kept_files_do_not_grow_with_the_names_clients_invent(app):
    client = app.test_client()
    kept = app.extensions["zwt_assets"]._assets
    client.get("/static/css/zwt.css")
    before = len(kept)
    for n in range(30):
        assert client.get(f"/static/css/missing-{n}.css").status_code == 404
        assert client.get("/static/css/" + "./" * n + "zwt.css").status_code == 200
    assert len(kept) == before


def test_a_csv_export_travels_compressed_and_whole(org, login):
    make_customer(org.east_rep, name="压缩导出客户")
    client = login(org.admin)
    plain = client.get("/customers/export/csv")
    for accepted in ("br, gzip", "gzip"):
        packed = client.get("/customers/export/csv", headers={"Accept-Encoding": accepted})
        assert packed.status_code == 200
        assert packed.headers["Content-Encoding"] == "gzip"
        assert "Content-Length" not in packed.headers, "a stream has no length before it ends"
        assert _decode(packed) == plain.data
        assert "压缩导出客户" in _decode(packed).decode("utf-8-sig")


def test_an_xlsx_export_is_not_compressed_again(org, login):
    resp = login(org.admin).get("/customers/export/xlsx", headers={"Accept-Encoding": "br, gzip"})
    assert resp.status_code == 200
    assert "Content-Encoding" not in resp.headers
    assert resp.data[:2] == b"PK"


@pytest.mark.parametrize("accepted", ["gzip", "br, gzip", "br"])
def test_a_compressed_stream_keeps_streaming(accepted):
    """The first compressed bytes leave before the export has produced its last row: nothing
    buffers the whole file in memory."""
    app = Flask(__name__)
    assets.install(app)
    produced = []
    chunk = bytes(range(256)) * 256          # 64 KB that compress poorly, like varied rows
    noise = hashlib.sha256()

    @app.route("/export.csv")
    def export():
        def rows():
            for n in range(40):
                noise.update(bytes([n]))
                produced.append(n)
                yield (noise.hexdigest() * 1024).encode() + chunk
        return Response(stream_with_context(rows()), content_type="text/csv; charset=utf-8")

    client = app.test_client()
    resp = client.get("/export.csv", headers={"Accept-Encoding": accepted}, buffered=False)
    # gzip streams; brotli would hold back its whole window, so a stream is never brotli
    encoding = "gzip" if "gzip" in accepted else None
    assert resp.headers.get("Content-Encoding") == encoding
    pieces = iter(resp.response)
    first = next(pieces)
    assert first and len(produced) < 40, f"{len(produced)} of 40 chunks produced before the first bytes left"
    body = first + b"".join(pieces)
    resp.close()
    assert len(produced) == 40
    whole = zlib.decompress(body, zlib.MAX_WBITS | 16) if encoding else body
    assert len(whole) == 40 * (64 * 1024 + 64 * 1024)


def test_pages_are_sent_without_the_templates_indentation_but_text_areas_as_written(org, login):
    notes = "第一行\n    缩进的第二行\n\n        第四行"
    customer = make_customer(org.east_rep, notes=notes)
    from app.extensions import db

    db.session.commit()
    client = login(org.east_rep)
    page = client.get("/customers/list/").get_data(as_text=True)
    assert not re.search(r"\n[ \t]+<", page) and "\n\n" not in page
    form = client.get(f"/customers/edit/{customer.id}").get_data(as_text=True)
    area = re.search(r'<textarea[^>]*name="notes"[^>]*>(.*?)</textarea>', form, re.S)
    assert area is not None and notes in area.group(1).replace("\r\n", "\n")


def test_squeezing_keeps_pre_and_textarea_text_and_the_words_apart():
    html = b"<p>one\n   two</p>\n    <pre>\n  a\n    b</pre>\n  <TEXTAREA>\n x\n</TEXTAREA>\n\n   <b>end</b>"
    assert assets.squeeze_html(html) == b"<p>one\ntwo</p>\n<pre>\n  a\n    b</pre>\n<TEXTAREA>\n x\n</TEXTAREA>\n<b>end</b>"


def test_a_templates_static_address_follows_the_script_root_it_is_served_under(app):
    """Templates keep each static file's address once built; an app served under a prefix
    (SCRIPT_NAME) gets its own addresses, not the ones kept for the root."""
    from flask import render_template_string

    page = "{{ url_for('static', filename='css/zwt.css') }}|{{ url_for('static', filename='css/zwt.css') }}"
    with app.test_request_context("/"):
        at_root = render_template_string(page).split("|")
    with app.test_request_context("/", base_url="http://localhost/crm/"):
        under_prefix = render_template_string(page).split("|")
    assert at_root[0] == at_root[1] and re.fullmatch(r"/static/css/zwt\.css\?v=[0-9a-f]{12}", at_root[0])
    assert under_prefix[0] == under_prefix[1] == "/crm" + at_root[0]
    with app.test_request_context("/"):
        assert render_template_string("{{ url_for('static', filename='css/no-such-file.css') }}") \
            == "/static/css/no-such-file.css"
