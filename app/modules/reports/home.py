"""Home page panel: the charts of the reports the reader pinned (报表中心 → 固定到首页), with the filters pinned."""
from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import reports
from app.core.home import HomeChart, HomePanel
from app.extensions import db
from app.modules.reports.models import ReportFavourite


def _charts(user):
    from app.modules.reports.catalogue import drawable, find

    pinned = db.session.scalars(select(ReportFavourite).where(ReportFavourite.user_id == user.id,
                                                              ReportFavourite.pinned.is_(True))
                                .order_by(ReportFavourite.id).limit(12)).all()
    sm = current_app.appbuilder.sm
    out = []
    for n, favourite in enumerate(pinned):
        report = find(favourite.report)
        if report is None or not reports.permitted(report, sm) or not drawable(report):
            continue
        query = f"?{favourite.query}" if favourite.query else ""
        out.append(HomeChart(f"pinned-{n}", str(report.title), url_for("ReportsView.data", name=report.name) + query,
                             url_for("ReportsView.show", name=report.name) + query))
    return out


PANELS = [
    HomePanel(key="pinned-reports", title=_l("My pinned reports"), items=lambda user, limit: [],
              permission=("can_read", "reports"), charts=_charts, more_url=lambda: url_for("ReportsView.index"),
              icon="fa-thumb-tack", order=10, wide=True),
]
