"""掌务通 as an installable web app on a phone: /manifest.webmanifest (the company's name, the app's icons, opened
full-screen at /), /sw.js (a service worker that answers a page asked for without a network with /offline) and
/offline itself. The worker keeps nothing of the user's: only the offline page and the icons are cached. Phones
(a coarse pointer) and the installed app register it (static/js/shell.js)."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, render_template
from flask_babel import gettext as _

pwa = Blueprint("pwa", __name__)
ICONS = [("icons/app-192.png", "192x192"), ("icons/app-512.png", "512x512")]


@pwa.route("/manifest.webmanifest")
def manifest():
    from flask import url_for

    from app.core.branding import company_name

    name = company_name()
    response = jsonify({
        "name": name, "short_name": name[:12], "lang": "zh-CN", "start_url": "/", "scope": "/",
        "display": "standalone", "background_color": "#ffffff", "theme_color": "#1677ff",
        "description": _("Customers, orders, purchasing and approvals on the phone."),
        "icons": [{"src": url_for("static", filename=path), "sizes": sizes, "type": "image/png",
                   "purpose": "any maskable"} for path, sizes in ICONS],
    })
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa.route("/sw.js")
def service_worker():
    body = (current_app.static_folder and open(f"{current_app.static_folder}/js/sw.js", encoding="utf-8").read())
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response


@pwa.route("/offline")
def offline():
    from app.core.branding import company_name

    return render_template("zwt/offline.html", name=company_name())


def install(app) -> None:
    app.register_blueprint(pwa)
