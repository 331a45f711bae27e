"""Frame-level screens: the notification centre, the mail outbox, departments and numbering
rules. Departments and numbering rules are ordinary module specs, so they get the same
screens, API and permissions as any business module."""
from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

from flask import abort, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, ModelView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _, lazy_gettext as _l, lazy_pgettext, pgettext
from sqlalchemy import func, select

from app.core import notify
from app.core.charts import echarts_option
from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core.numbering import NumberingRule, check_pattern
from app.core.org import Department, User, place_department
from flask_appbuilder.security.sqla.models import Role, assoc_user_role
from app.core.spec import ModuleSpec
from app.core.transaction import unit_of_work
from app.core.webhooks import local_time, user_zone
from app.extensions import db

SYSTEM = lazy_pgettext("menu", "System")


def short_time(value, now: dt.datetime | None = None) -> str:
    """A stored time (naive UTC) the way a Chinese office app says it: 刚刚, 5分钟前, 今天 14:05,
    昨天 09:12, 3月5日 14:05, and 2025年3月5日 for other years; in the user's time zone."""
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    zone = user_zone()
    at = (value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)).astimezone(zone)
    now = (now or dt.datetime.now(dt.timezone.utc))
    now = (now if now.tzinfo else now.replace(tzinfo=dt.timezone.utc)).astimezone(zone)
    seconds = (now - at).total_seconds()
    clock = at.strftime("%H:%M")
    if 0 <= seconds < 60:
        return pgettext("short time", "just now")
    if 0 <= seconds < 3600:
        return pgettext("short time", "%(n)d min ago", n=int(seconds // 60))
    if at.date() == now.date():
        return pgettext("short time", "today %(time)s", time=clock)
    if at.date() == now.date() - dt.timedelta(days=1):
        return pgettext("short time", "yesterday %(time)s", time=clock)
    if at.year == now.year:
        return pgettext("short time", "%(month)d/%(day)d %(time)s", month=at.month, day=at.day, time=clock)
    return pgettext("short time", "%(month)d/%(day)d/%(year)d", month=at.month, day=at.day, year=at.year)


def notice_kind(link: str) -> str:
    """What a notice is about, from where it leads: a task waiting for a decision, another
    approval matter, or anything else."""
    link = link or ""
    if re.fullmatch(r"/approvals/task/\d+", link):
        return "task"
    if link.startswith("/approvals/"):
        return "approval"
    return "other"


class NotificationsView(BaseView):
    """The notification centre: newest first, unread in bold; opening a notice marks it read
    and goes where it leads (a notice about an approval to its task page: one tap)."""

    route_base = "/notifications"
    default_view = "index"
    class_permission_name = "notifications"
    method_permission_name = {"index": "read", "read": "read", "read_all": "read"}
    base_permissions = ["can_read"]
    page_size = 50

    @expose("/")
    @has_access
    def index(self):
        actor = current_actor()
        page = min(max(request.args.get("page", 0, type=int), 0), 100_000)
        items = notify.notifications_of(actor, limit=self.page_size, offset=page * self.page_size)
        return self.render_template("zwt/notifications.html", items=items, page=page, title=_("Notifications"),
                                    unread=notify.unread_count(actor), more=len(items) == self.page_size,
                                    short_time=short_time, kind_of=notice_kind)

    @expose("/<int:pk>/read", methods=["POST"])
    @has_access
    def read(self, pk):
        note = db.session.get(notify.Notification, pk)
        if note is None or note.user_id != current_actor().id:
            abort(404)
        notify.mark_read(current_actor(), pk)
        return redirect(note.link or url_for("NotificationsView.index"))

    @expose("/read-all", methods=["POST"])
    @has_access
    def read_all(self):
        notify.mark_read(current_actor())
        return redirect(url_for("NotificationsView.index"))


MAIL_STATUS = {
    notify.OUTBOX: lazy_pgettext("mail status", "in the outbox"),
    notify.QUEUED: lazy_pgettext("mail status", "sending"),
    notify.SENT: lazy_pgettext("mail status", "sent"),
    notify.FAILED: lazy_pgettext("mail status", "failed"),
}


def mail_status(value) -> str:
    return str(MAIL_STATUS.get(value, value or ""))


class MailOutboxView(ModelView):
    datamodel = SQLAInterface(notify.MailMessage)
    route_base = "/mail_outbox"
    class_permission_name = "mail_outbox"
    method_permission_name = {"list": "read", "show": "read"}
    base_permissions = ["can_read"]
    list_title = show_title = _l("Mail outbox")
    list_columns = ["created_at", "to", "subject", "status"]
    show_columns = ["created_at", "to", "subject", "body", "status", "error", "sent_at"]
    search_columns = ["to", "subject", "status", "created_at"]
    base_order = ("id", "desc")
    formatters_columns = {"created_at": local_time, "sent_at": local_time}
    label_columns = {
        "created_at": _l("Created at"), "to": _l("To"), "subject": _l("Subject"), "body": _l("Body"),
        "status": _l("Status"), "error": _l("Error"), "sent_at": _l("Sent at"),
    }
    formatters_columns = {"status": mail_status, "created_at": local_time, "sent_at": local_time}


# -- user statistics ---------------------------------------------------------------------------
USER_CHARTS = {
    "logins": SimpleNamespace(title=_l("Login count"), kind="bar"),
    "failed": SimpleNamespace(title=_l("Failed login count"), kind="bar"),
    "roles": SimpleNamespace(title=_l("Users by role"), kind="pie"),
    "departments": SimpleNamespace(title=_l("Users by department"), kind="pie"),
}
TOP_USERS = 20


def _user_rows(name: str) -> list[tuple]:
    """[(label, value)] of one user statistic, aggregated in SQL."""
    if name in ("logins", "failed"):
        column = User.login_count if name == "logins" else User.fail_login_count
        users = db.session.execute(select(User.username, User.first_name, User.last_name, column)
                                   .where(column > 0).order_by(column.desc(), User.username).limit(TOP_USERS))
        return [(f"{(last or '')}{(first or '')}".strip() or username, count) for username, first, last, count in users]
    if name == "roles":
        rows = db.session.execute(select(Role.name, func.count(assoc_user_role.c.user_id))
                                  .join(assoc_user_role, assoc_user_role.c.role_id == Role.id)
                                  .group_by(Role.name).order_by(func.count(assoc_user_role.c.user_id).desc()))
        from app.core.names import role_label

        return [(role_label(role), count) for role, count in rows]
    rows = db.session.execute(select(Department.name, func.count(User.id))
                              .select_from(User).outerjoin(Department, Department.id == User.department_id)
                              .group_by(Department.name).order_by(func.count(User.id).desc()))
    return [(dept or _("No department"), count) for dept, count in rows]


class UserStatsView(BaseView):
    """Users' sign-ins and how users spread over roles and departments, drawn with the bundled
    ECharts (FAB's own statistics page draws with Google Charts from Google's servers)."""

    route_base = "/user_stats"
    default_view = "index"
    class_permission_name = "user_stats"
    method_permission_name = {"index": "read", "data": "read"}
    base_permissions = ["can_read"]

    @expose("/")
    @has_access
    def index(self):
        charts = [{"name": name, "url": url_for("UserStatsView.data", name=name)} for name in USER_CHARTS]
        return self.render_template("zwt/user_stats.html", charts=charts, title=_("User's Statistics"))

    @expose("/data/<name>")
    @has_access
    def data(self, name):
        chart = USER_CHARTS.get(name)
        if chart is None:
            abort(404)
        rows = _user_rows(name)
        return jsonify(option=echarts_option(chart, rows, str), table=[[label, value] for label, value in rows])


# -- departments -------------------------------------------------------------------------------
class departments_service:
    """Create / update / delete departments, keeping the tree's paths right."""

    @staticmethod
    def create(actor, dept: Department) -> Department:
        with unit_of_work(actor):
            _check_department(dept)
            db.session.add(dept)
            place_department(dept)
        return dept

    @staticmethod
    def update(actor, dept: Department) -> Department:
        with unit_of_work(actor):
            _check_department(dept)
            place_department(dept)
        return dept

    @staticmethod
    def delete(actor, dept: Department) -> None:
        with unit_of_work(actor):
            if db.session.scalar(select(Department.id).where(Department.parent_id == dept.id).limit(1)):
                raise DomainError("org.department_has_children", _("This department has sub-departments; move or delete them first."))
            if db.session.scalar(select(User.id).where(User.department_id == dept.id).limit(1)):
                raise DomainError("org.department_has_users", _("Users still belong to this department; move them first."))
            db.session.delete(dept)


def _check_department(dept: Department) -> None:
    if not (dept.name or "").strip():
        raise DomainError("org.department_name", _("Please enter the department name."), field="name")
    dept.name = dept.name.strip()


class numbering_service:
    @staticmethod
    def create(actor, rule):
        with unit_of_work(actor):
            check_pattern(rule.pattern or "")
            db.session.add(rule)
        return rule

    @staticmethod
    def update(actor, rule):
        with unit_of_work(actor):
            check_pattern(rule.pattern or "")
        return rule

    @staticmethod
    def delete(actor, rule):
        raise DomainError("numbering.delete", _("Numbering rules are used by documents and cannot be deleted; edit the pattern instead."))


DEPARTMENT_LABELS = {
    "name": _l("Department"), "code": _l("Code"), "parent": _l("Parent department"),
    "head": _l("Department head"), "sort": _l("Sort order"), "path": _l("Path"),
}

SPECS = [
    ModuleSpec(
        name="departments",
        model=Department,
        label=_l("Department"),
        label_plural=_l("Departments"),
        category=SYSTEM,
        category_key="system",
        category_icon="fa-cogs",
        icon="fa-sitemap",
        label_columns=DEPARTMENT_LABELS,
        list_columns=["name", "code", "parent", "head", "sort"],
        show_fieldsets=[(_l("Department"), {"fields": ["name", "code", "parent", "head", "sort"]})],
        add_columns=["name", "code", "parent", "head", "sort"],
        edit_columns=["name", "code", "parent", "head", "sort"],
        search_columns=["name", "code", "parent"],
        order_columns=["name", "code", "sort"],
        base_order=("path", "asc"),
        api_columns=["id", "name", "code", "parent_id", "head_id", "sort", "path"],
        api_write_columns=["name", "code", "parent_id", "head_id", "sort"],
        count_cap=None,
        service=departments_service,
    ),
    ModuleSpec(
        name="numbering_rules",
        model=NumberingRule,
        label=_l("Numbering rule"),
        label_plural=_l("Numbering rules"),
        category=SYSTEM,
        category_key="system",
        icon="fa-list-ol",
        label_columns={"code": _l("Code"), "name": _l("Name"), "pattern": _l("Pattern"), "reset": _l("Reset")},
        description_columns={"pattern": _l("Placeholders: {yyyy} {yy} {mm} {dd} and one {seq:05d}")},
        list_columns=["code", "name", "pattern", "reset"],
        show_fieldsets=[(_l("Numbering rule"), {"fields": ["code", "name", "pattern", "reset"]})],
        add_columns=["code", "name", "pattern", "reset"],
        edit_columns=["name", "pattern", "reset"],
        search_columns=["code", "name"],
        order_columns=["code", "name"],
        api_columns=["id", "code", "name", "pattern", "reset"],
        api_write_columns=["name", "pattern", "reset"],
        count_cap=None,
        service=numbering_service,
    ),
]


def register_views(appbuilder) -> None:
    appbuilder.add_view(NotificationsView, "menu:notifications", label=_l("Notifications"), icon="fa-bell",
                        category="menu:system", category_label=SYSTEM)
    appbuilder.add_view(MailOutboxView, "menu:mail_outbox", label=_l("Mail outbox"), icon="fa-envelope",
                        category="menu:system", category_label=SYSTEM)
    appbuilder.add_view(UserStatsView, "User's Statistics", label=_l("User's Statistics"), icon="fa-bar-chart",
                        category="Security")
    appbuilder.add_link("menu:sms_outbox", href="/sms_outbox/list/", label=_l("SMS outbox"), icon="fa-commenting",
                        category="menu:system", category_label=SYSTEM)
