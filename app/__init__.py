"""The composition root: create_app() builds the application. Nothing happens at import time."""
from __future__ import annotations

import logging

from flask import Flask

# The business modules, one line each. Adding a module means adding its folder and a line here.
MODULES = [
    "app.modules.customers",
    "app.modules.contracts",
    "app.modules.approval_forms",
]

# Parts of the frame that plug in like modules (jobs, views, setup), without specs of their own.
FRAME_PACKAGES = [
    "app.workflow",
    "app.core.chart_cache",
    "app.core.files",
    "app.core.printing",
    "app.core.importing",
    "app.core.custom_fields",
]


def create_app(**overrides) -> Flask:
    """Build the app. `overrides` replace settings from the environment (tests use them)."""
    from config import build_config

    from app.core import collab, preferences, system  # noqa: F401 (models)
    from app.core.registry import registry
    from app.core.webhooks import install_web_hooks
    from app.extensions import db, migrate

    app = Flask(__name__, instance_path=None)
    app.config.update(build_config(**overrides))
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Client addresses (rate limits, login history) come from the proxies we trust.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_COUNT"], x_proto=app.config["PROXY_COUNT"])
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    from app.core import jobs, observability, setup
    from app.security.manager import sync_roles

    jobs.use_app_factory(create_app)
    setup.use_role_sync(sync_roles)
    observability.install(app)   # JSON logs, request ids, /metrics, /healthz, /readyz

    registry.load(MODULES, frame_specs=system.SPECS, frame_packages=FRAME_PACKAGES)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(__import__("pathlib").Path(__file__).resolve().parent.parent / "migrations"))

    from flask_appbuilder import AppBuilder

    with app.app_context():
        if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            _sqlite_pragmas(db.engine)
        appbuilder = AppBuilder(update_perms=app.config["FAB_UPDATE_PERMS"])
        appbuilder.init_app(app, db.session)
        registry.build(appbuilder)
        system.register_views(appbuilder)
        collab.register(appbuilder)
        from app.security import apikeys, matrix, registration_views
        from app.security.sessions import install_session_security

        registration_views.register_views(appbuilder)
        matrix.register_views(appbuilder)
        apikeys.register_views(appbuilder)
        from app.core import assets, branding, global_search, saved_views, shell

        branding.register_views(appbuilder)
        global_search.register_views(appbuilder)
        saved_views.register_views(appbuilder)
        shell.install(app, appbuilder)
        assets.install(app)
        install_web_hooks(app, appbuilder)
        install_session_security(app)
    return app


def _sqlite_pragmas(engine) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
