"""The composition root: create_app() builds the application. Nothing happens at import time."""
from __future__ import annotations

import logging
import os

from flask import Flask

# The business modules, one line each. Adding a module means adding its folder and a line here.
MODULES = [
    "app.modules.customers",
    "app.modules.contracts",
    "app.modules.approval_forms",
    "app.modules.products",
    "app.modules.inventory",
    "app.modules.orders",
    "app.modules.invoices",
    "app.modules.collections",
    "app.modules.purchasing",
    "app.modules.events",
    "app.modules.reports",
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


# Packages the frameworks import at start only in case a feature needs them, which the web app's
# features do not: PyJWT's RSA/EC keys, SQLAlchemy-Utils' encrypted type and redis-py's OCSP check
# of TLS certificates (cryptography, 9 MB of a web process) and FAB's image fields (Pillow, 3 MB). They are left out while the frameworks
# load (their imports are optional there); code that uses them imports them then, as usual.
LOADED_ON_USE = ("cryptography", "PIL")
# Compiled statements kept per process (SQLAlchemy's default is 500). A list page's statements
# carry the reader's ids and search words, so the cache fills with statements used once; each
# kept statement is tens of KB.
QUERY_CACHE_SIZE = int(os.environ.get("SQLALCHEMY_QUERY_CACHE_SIZE", "150"))


class _LeftOut:
    """A finder that answers "not installed" for `names` (and their submodules)."""

    def __init__(self, names):
        self.names = set(names)

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".", 1)[0] in self.names:
            raise ModuleNotFoundError(f"{fullname} is imported where it is used", name=fullname)
        return None


def load_frameworks() -> None:
    """Import the frameworks without the packages of LOADED_ON_USE (a no-op once they are loaded).
    deploy/gunicorn.conf.py calls it before anything of the app is imported."""
    import sys

    if "flask_appbuilder.api" in sys.modules:
        return
    finder = _LeftOut(name for name in LOADED_ON_USE if name not in sys.modules)
    sys.meta_path.insert(0, finder)
    try:
        import flask_appbuilder.api  # noqa: F401
        import flask_jwt_extended  # noqa: F401
        import jwt.algorithms  # noqa: F401
        import redis  # noqa: F401
        import sqlalchemy_utils  # noqa: F401
    finally:
        sys.meta_path.remove(finder)


def create_app(**overrides) -> Flask:
    """Build the app. `overrides` replace settings from the environment (tests use them)."""
    load_frameworks()
    from config import build_config

    from app.core import collab, preferences, system  # noqa: F401 (models)
    from app.core.registry import registry
    from app.core.webhooks import install_web_hooks
    from app.extensions import db, migrate

    from app.core.routing import LazilyBuiltRule

    app = Flask(__name__, instance_path=None)
    app.url_rule_class = LazilyBuiltRule
    app.config.update(build_config(**overrides))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"query_cache_size": QUERY_CACHE_SIZE,
                                               **app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
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
            _sqlite_pragmas(db.engine, durable=app.config["DB_DURABLE"])
        appbuilder = AppBuilder(update_perms=app.config["FAB_UPDATE_PERMS"])
        appbuilder.init_app(app, db.session)
        registry.build(appbuilder)
        system.register_views(appbuilder)
        collab.register(appbuilder)
        from app.security import apikeys, matrix, registration_views, user_choices
        from app.security.sessions import install_session_security

        registration_views.register_views(appbuilder)
        matrix.register_views(appbuilder)
        apikeys.register_views(appbuilder)
        user_choices.install(app)
        from app.core import assets, branding, global_search, pwa, saved_views, shell

        branding.register_views(appbuilder)
        global_search.register_views(appbuilder)
        saved_views.register_views(appbuilder)
        shell.install(app, appbuilder)
        assets.install(app)
        pwa.install(app)
        install_web_hooks(app, appbuilder)
        install_session_security(app)
    return app


def _sqlite_pragmas(engine, durable: bool = True) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not durable:
            cursor.execute("PRAGMA synchronous=OFF")
        cursor.close()
