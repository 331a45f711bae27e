"""Request-level glue for the web app: template context (unread notifications, local time),
security headers and error pages."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, g, jsonify, render_template, request, send_from_directory
from flask_babel import gettext as _

from app.core import notify


def local_time(value, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC datetime from the database, shown in the configured time zone."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return str(value)
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return value.replace(tzinfo=dt.timezone.utc).astimezone(zone).strftime(fmt)


def install_web_hooks(app, appbuilder) -> None:
    from app.extensions import csrf

    app.jinja_env.filters["local_time"] = local_time
    # Browsers ask for /favicon.ico on their own (and for pages without a <link rel="icon">).
    app.add_url_rule("/favicon.ico", "favicon",
                     lambda: send_from_directory(app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon",
                                                 max_age=86400))
    # Every form is CSRF-protected; the REST API authenticates with tokens, not cookies.
    csrf.init_app(app)
    for blueprint in app.blueprints.values():
        if (blueprint.url_prefix or "").startswith("/api/"):
            csrf.exempt(blueprint)

    @app.context_processor
    def _navbar_counts():
        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return {"unread_notifications": notify.unread_count(user)}
        return {"unread_notifications": 0}

    def _wants_json() -> bool:
        return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"

    def _error_page(code: int, short: str, long: str):
        if _wants_json():
            return jsonify(message=short), code
        return render_template("zwt/error.html", code=code, message=long,
                               base_template=appbuilder.base_template, appbuilder=appbuilder), code

    pages = {
        403: (lambda: _("Forbidden"), lambda: _("You do not have permission to do this.")),
        404: (lambda: _("Not found"), lambda: _("The page or record does not exist, or you may not see it.")),
        500: (lambda: _("Internal error"), lambda: _("Something went wrong on our side. Please try again.")),
    }
    for code, (short, long) in pages.items():
        app.register_error_handler(code, lambda _error, c=code, s=short, l=long: _error_page(c, s(), l()))
