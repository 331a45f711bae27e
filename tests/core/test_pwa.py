"""The installable web app: its manifest, service worker and offline page answer without signing in (a phone
fetches the manifest without cookies), name the company and the icons that exist, and the pages link the
manifest."""
from __future__ import annotations


def test_manifest_worker_and_offline_page(app, login, org):
    client = app.test_client()
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest.mimetype == "application/manifest+json"
    body = manifest.get_json()
    assert body["display"] == "standalone" and body["start_url"] == "/" and body["name"]
    assert {icon["sizes"] for icon in body["icons"]} == {"192x192", "512x512"}
    for icon in body["icons"]:
        assert client.get(icon["src"]).status_code == 200
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == "/"
    assert "/offline" in worker.get_data(as_text=True)
    offline = client.get("/offline")
    assert offline.status_code == 200 and "网络不可用" in offline.get_data(as_text=True)
    page = login(org.admin).get("/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
