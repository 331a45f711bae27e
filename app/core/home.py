"""The home page: the signed-in user's work, as panels — unread notifications and the most recent
records the user owns in each numbered module (frame panels), plus whatever the modules and frame
packages add in a `home.py` part (`PANELS = [HomePanel(...)]`): approvals waiting, follow-ups due.

A panel appears only when the user holds its permission; its items are the user's own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Optional

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from sqlalchemy import Select, select

from app.extensions import db

TOP = 5   # items per panel


@dataclass(frozen=True)
class HomeItem:
    label: str
    url: str
    note: str = ""          # a date, a status
    tone: str = ""          # "danger" (overdue), "warning" (due today) or ""
    post: bool = False      # the link is a POST form (e.g. "open and mark as read")


@dataclass(frozen=True)
class HomePanel:
    key: str                                        # stable name and HTML id
    title: Any                                      # lazy gettext
    items: Callable                                 # (user, limit) -> list[HomeItem]
    permission: Optional[tuple] = None              # (permission, view menu) the user must hold
    # (user) -> int shown beside the title, or a statement of one number (home_parts.capped): the page asks every
    # panel's statement at once, in one SELECT
    count: Optional[Callable] = None
    more_url: Optional[Callable] = None             # () -> url of the full list
    empty: Any = None                               # text when there is nothing
    icon: str = "fa-list"
    order: int = 50
    charts: Optional[Callable] = None               # (user) -> [HomeChart]: charts drawn in the panel
    wide: bool = False                              # spans the grid's width


@dataclass(frozen=True)
class HomeChart:
    key: str
    title: str
    data_url: str                                   # JSON {option, table, drill} (static/js/charts.js)
    url: str                                        # the chart's page


def _local_time(value) -> str:
    from app.core.webhooks import local_time

    return local_time(value)


# -- frame panels ----------------------------------------------------------------------------------
def _notifications_panel() -> HomePanel:
    from app.core import notify

    def items(user, limit):
        rows = db.session.scalars(
            select(notify.Notification).where(notify.Notification.user_id == user.id,
                                              notify.Notification.is_read.is_(False))
            .order_by(notify.Notification.id.desc()).limit(limit))
        return [HomeItem(n.title, url_for("NotificationsView.read", pk=n.id), _local_time(n.created_at), post=True)
                for n in rows]

    return HomePanel(key="notifications", title=_l("Unread notifications"), items=items,
                     permission=("can_read", "notifications"), count=notify.unread_count,
                     more_url=lambda: url_for("NotificationsView.index"), empty=_l("No unread notifications."),
                     icon="fa-bell", order=90)


def _recent_panel(spec) -> HomePanel:
    """The user's most recent records of a numbered module (customers, contracts ...)."""
    from app.core.registry import registry

    model = spec.model
    owner = getattr(model, spec.scope.owner)

    def items(user, limit):
        view = registry.views[spec.name].__name__
        rows = db.session.scalars(select(model).where(owner == user.id).order_by(model.id.desc()).limit(limit))
        out = []
        for row in rows:
            code = getattr(row, "code", "") or ""
            label = str(row)
            if code and not label.startswith(code):
                label = f"{code} {label}"
            out.append(HomeItem(label, url_for(f"{view}.show", pk=row.id), _local_time(getattr(row, "created_at", None))))
        return out

    def count(user):
        from app.core.home_parts import capped

        return capped(select(model.id).where(owner == user.id))

    return HomePanel(key=f"recent-{spec.name}", title=_l("My %(things)s", things=spec.label_plural), items=items,
                     permission=("can_read", spec.permission_name), count=count,
                     more_url=lambda: url_for(f"{registry.views[spec.name].__name__}.list"),
                     empty=_l("None yet."), icon=spec.icon, order=60)


def all_panels() -> list[HomePanel]:
    from app.core.registry import registry

    panels = [_notifications_panel()]
    for spec in registry.specs.values():
        if (spec.numbering and spec.show_in_menu and spec.scope is not None and spec.scope.owner
                and not spec.scope.via and spec.name in registry.views):
            panels.append(_recent_panel(spec))
    for part in registry.parts("home"):
        panels.extend(getattr(part, "PANELS", []))
    return sorted(panels, key=lambda p: (p.order, p.key))


def _counts(panels, user) -> list:
    """Each panel's count: the numbers the panels give, and their statements asked together in one SELECT."""
    counts = [panel.count(user) if panel.count else None for panel in panels]
    asked = [(n, c) for n, c in enumerate(counts) if isinstance(c, Select)]
    if asked:
        answers = db.session.execute(select(*(c.scalar_subquery() for _n, c in asked))).one()
        for (n, _c), value in zip(asked, answers):
            counts[n] = value or 0
    return counts


def panels_for(user, sm) -> list[dict]:
    """The panels this user may see, each with its top items and count."""
    shown = []
    for panel in all_panels():
        if panel.permission is not None and not sm.has_access(*panel.permission):
            continue
        charts = panel.charts(user) if panel.charts else []
        if panel.charts and not charts:
            continue
        shown.append((panel, charts))
    counts = _counts([panel for panel, _charts in shown], user)
    return [{"key": panel.key, "title": panel.title, "icon": panel.icon, "empty": panel.empty or _("Nothing."),
             "items": panel.items(user, TOP), "count": count, "more_url": panel.more_url() if panel.more_url else None,
             "charts": charts, "wide": panel.wide} for (panel, charts), count in zip(shown, counts)]


class HomeView(IndexView):
    index_template = "zwt/index.html"

    @expose("/")
    def index(self):
        user = getattr(g, "user", None)
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        panels = panels_for(user, self.appbuilder.sm)
        return self.render_template(self.index_template, appbuilder=self.appbuilder, panels=panels,
                                    has_charts=any(p["charts"] for p in panels))
