"""Each user's notification settings, reached from their profile: whether their notices also
come by e-mail (on unless they switch it off). In-app notices always arrive; codes, activation
and security mails are sent whatever this says (they are not notices)."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, Model, expose, has_access
from flask_babel import gettext as _
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, select

from app.core import notify
from app.core.clock import utcnow
from app.core.datamodel import current_actor
from app.core.kept import Kept
from app.core.transaction import unit_of_work
from app.extensions import db

VIEW_NAME = "notification_settings"


class NotificationSetting(Model):
    """One row per user who changed their settings; no row means the defaults."""

    __tablename__ = "notification_setting"

    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    by_mail = Column(Boolean, nullable=False, default=True)
    changed_at = Column(DateTime, nullable=False, default=utcnow)


def wants_mail(user_id: int) -> bool:
    return db.session.scalar(select(NotificationSetting.by_mail).where(NotificationSetting.user_id == user_id)) \
        is not False


def set_wants_mail(actor, wanted: bool) -> None:
    with unit_of_work(actor):
        row = db.session.get(NotificationSetting, actor.id)
        if row is None:
            row = NotificationSetting(user_id=actor.id)
            db.session.add(row)
        row.by_mail, row.changed_at = bool(wanted), utcnow()


def _app_only_users() -> frozenset:
    return frozenset(db.session.scalars(select(NotificationSetting.user_id).where(
        NotificationSetting.by_mail.is_(False))))


# Who switched mail off: a small set every notice consults (an approval action tells two or
# three people), kept per process and invalidated through Redis when a setting changes.
APP_ONLY = Kept("notification_settings", load=_app_only_users, tables={NotificationSetting.__tablename__})


def without_mail(user_ids) -> set[int]:
    """Of these users, those who asked for their notices in the app only."""
    ids = {int(i) for i in user_ids if i is not None}
    if not ids:
        return set()
    return ids & APP_ONLY.get()


class NotificationSettingsView(BaseView):
    route_base = "/notification_settings"
    default_view = "index"
    class_permission_name = VIEW_NAME
    method_permission_name = {"index": "read", "save": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/")
    @has_access
    def index(self):
        user = current_actor()
        return self.render_template("security/notification_settings.html", title=_("Notification settings"),
                                    by_mail=wants_mail(user.id), email=user.email)

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        set_wants_mail(current_actor(), request.form.get("by_mail") == "1")
        flash(_("Your notification settings have been saved."), "success")
        return redirect(url_for("NotificationSettingsView.index"))


def install(appbuilder) -> None:
    appbuilder.add_view_no_menu(NotificationSettingsView)
    if without_mail not in notify.mail_opt_outs:
        notify.mail_opt_outs.append(without_mail)
