"""The reports module (报表管理): the reports built without code are records admins keep (list, search, delete);
the centre itself (app/modules/reports/views.py) shows every module's declared reports beside them."""
from flask_babel import lazy_gettext as _l, lazy_pgettext

from app.core.spec import ModuleSpec
from app.modules.reports import service
from app.modules.reports.models import SavedReport

REPORTS = lazy_pgettext("menu", "Reports")
LABELS = {"name": _l("Name"), "module": _l("Module"), "group_by": _l("Grouped by"), "measure": _l("Measure"),
          "chart": _l("Chart"), "description": _l("Description"), "created_by": _l("Built by"),
          "created_by_id": _l("Built by"), "created_at": _l("Built at")}
FIELDS = ["name", "module", "group_by", "measure", "chart", "description"]

SPECS = [
    ModuleSpec(
        name="saved_reports",
        model=SavedReport,
        made_elsewhere=True,            # built in the centre's builder (/reports/build)
        label=_l("Built report"),
        label_plural=_l("Built reports"),
        category=REPORTS,
        category_key="reports",
        category_icon="fa-bar-chart",
        icon="fa-wrench",
        permission_name="reports",
        show_in_menu=False,             # listed from the centre (报表中心 → 已建报表)
        label_columns=LABELS,
        list_columns=["name", "module", "group_by", "measure", "chart", "created_by", "created_at"],
        show_fieldsets=[(_l("Built report"), {"fields": [*FIELDS, "created_by", "created_at"]})],
        search_columns=["name", "module", "chart"],
        order_columns=["name", "module", "created_at"],
        base_order=("name", "asc"),
        export_columns=["name", "module", "group_by", "measure", "chart", "description", "created_at"],
        api_columns=["id", *FIELDS, "created_by_id", "created_at"],
        title_column="name",
        date_column="created_at",
        service=service.saved_reports,
    ),
]
