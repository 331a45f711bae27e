"""Small stored choices: each user's own (sidebar folded, columns shown per list, theme) and the
site's (company name, logo). Values are JSON; a missing row means the default."""
from __future__ import annotations

import json
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, LargeBinary, String, Text, select

from app.core.clock import utcnow
from app.core.kept import Kept
from app.extensions import db


class UserPreference(Model):
    __tablename__ = "user_preference"

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    key = Column(String(100), primary_key=True)
    value = Column(Text, nullable=False)
    changed_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class SiteSetting(Model):
    """One row per setting an admin changed; `data` holds a file (the logo) when there is one."""

    __tablename__ = "site_setting"

    key = Column(String(100), primary_key=True)
    value = Column(Text, nullable=False, default="null")
    data = Column(LargeBinary)
    changed_at = Column(DateTime, nullable=False, default=utcnow, onupdate=utcnow)


def _preferences_of(user_id: int) -> dict[str, str]:
    return dict(db.session.execute(select(UserPreference.key, UserPreference.value)
                                   .where(UserPreference.user_id == user_id)).all())


def _site_settings() -> dict[str, tuple[str, Any]]:
    """{key: (JSON value, changed at)} of every stored site setting (not the files)."""
    return {key: (value, changed_at) for key, value, changed_at in
            db.session.execute(select(SiteSetting.key, SiteSetting.value, SiteSetting.changed_at)).all()}


USER_PREFERENCES = Kept("prefs", load=_preferences_of, tables={"user_preference"}, per_user=True,
                        key_of=lambda row: row.user_id)
SITE_SETTINGS = Kept("site", load=_site_settings, tables={"site_setting"})


def get_preference(user_id: int | None, key: str, default: Any = None) -> Any:
    if not user_id:
        return default
    raw = USER_PREFERENCES.get(user_id).get(key)
    return default if raw is None else json.loads(raw)


def set_preference(user_id: int, key: str, value: Any) -> None:
    """Store one user's choice in the caller's transaction (the caller commits)."""
    row = db.session.get(UserPreference, (user_id, key))
    if row is None:
        row = UserPreference(user_id=user_id, key=key)
        db.session.add(row)
    row.value = json.dumps(value, ensure_ascii=False)
    USER_PREFERENCES.changed(user_id)


def site_settings() -> dict[str, tuple[str, Any]]:
    """The stored site settings, {key: (JSON value, changed at)}, kept per process."""
    return SITE_SETTINGS.get()


def get_setting(key: str, default: Any = None) -> Any:
    found = site_settings().get(key)
    return default if found is None else json.loads(found[0])


def get_setting_row(key: str) -> SiteSetting | None:
    return db.session.get(SiteSetting, key)


def set_setting(key: str, value: Any, data: bytes | None = None) -> None:
    """Store a site setting in the caller's transaction (the caller commits)."""
    row = db.session.get(SiteSetting, key)
    if row is None:
        row = SiteSetting(key=key)
        db.session.add(row)
    row.value = json.dumps(value, ensure_ascii=False)
    row.data = data
    SITE_SETTINGS.changed()
