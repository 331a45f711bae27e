"""Screens for finding and merging duplicate customers; the 导入客户 menu entry opens the frame's
import screen (app/core/importing) at /customers/import/."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup

from app.core.datamodel import current_actor
from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.modules.customers import merging

MENU = "menu:customers"


def _may(permission: str) -> bool:
    return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", "customers"))


class CustomerMergeView(BaseView):
    """疑似重复客户 (possible duplicates) and merging two customers into one."""

    route_base = "/customers/duplicates"
    default_view = "index"
    class_permission_name = "customers"
    method_permission_name = {"index": "read", "merge": "delete", "merge_post": "delete"}
    base_permissions = ["can_read", "can_delete"]
    PAGE = 20

    @expose("/")
    @has_access
    def index(self):
        kind = request.args.get("kind", "name")
        if kind not in merging.KINDS:
            abort(404)
        page = max(request.args.get("page", 0, type=int), 0)
        groups = merging.duplicate_groups(current_actor(), kind, limit=self.PAGE + 1, offset=page * self.PAGE)
        return self.render_template("customers/merge_duplicates.html", title=_("Possible duplicate customers"),
                                    kind=kind, groups=groups[:self.PAGE], more=len(groups) > self.PAGE, page=page,
                                    may_merge=_may("delete"))

    def _merge_page(self, first, second, survivor_id=None, taken=(), error=None, status=200):
        from app.modules.customers.fields import CUSTOMER_LABELS

        formatters = _formatters()
        rows = []
        for field in merging.merge_fields():
            rows.append({"field": field, "label": str(CUSTOMER_LABELS.get(field, field)),
                         "first": formatters(field, getattr(first, field)),
                         "second": formatters(field, getattr(second, field))})
        return self.render_template(
            "customers/merge.html", title=_("Merge customers"), first=first, second=second, rows=rows,
            survivor_id=survivor_id or first.id, taken=set(taken), error=error,
            counts={c.id: _labelled(merging.reference_counts(c.id)) for c in (first, second)},
        ), status

    @expose("/merge", methods=["GET"])
    @has_access
    def merge(self):
        ids = [v for v in request.args.getlist("id") if v.strip()]
        if len(ids) != 2:
            flash(_("Choose exactly two customers to merge."), "warning")
            return redirect(url_for("CustomerMergeView.index"))
        try:
            first, second = merging.find_pair(current_actor(), ids[0], ids[1])
        except NotFound:
            abort(404)
        except DomainError as error:
            flash(error.message, "warning")
            return redirect(url_for("CustomerMergeView.index"))
        return self._merge_page(first, second)

    @expose("/merge", methods=["POST"])
    @has_access
    def merge_post(self):
        actor = current_actor()
        first_id, second_id = request.form.get("first"), request.form.get("second")
        survivor_id = request.form.get("survivor")
        if survivor_id not in (first_id, second_id):
            abort(400)
        other_id = second_id if survivor_id == first_id else first_id
        taken = [f for f in merging.merge_fields() if request.form.get(f"take_{f}") == other_id]
        try:
            survivor, moved = merging.merge_customers(actor, survivor_id, other_id, taken)
        except NotFound:
            db.session.rollback()
            abort(404)
        except DomainError as error:
            db.session.rollback()
            try:
                first, second = merging.find_pair(actor, first_id, second_id)
            except DomainError:
                abort(404)
            messages = error.errors if hasattr(error, "errors") else {"": [error.message]}
            text = " ".join(m for ms in messages.values() for m in ms)
            return self._merge_page(first, second, int(survivor_id), taken, text, 400)
        flash(_("The customers were merged into %(name)s (%(code)s).", name=survivor.name, code=survivor.code),
              "success")
        return redirect(f"/customers/show/{survivor.id}")


def _formatters():
    """Values as the customer screens show them (choice labels, names of related records)."""
    from app.core.views import ModuleModelView

    # By spec, not by class: building another app (tests, CLI) makes new view classes.
    view = next((v for v in current_app.appbuilder.baseviews
                 if isinstance(v, ModuleModelView) and v.spec is not None and v.spec.name == "customers"), None)
    formatters = view.formatters_columns if view is not None else {}

    def shown(field, value):
        if value is None or value == "":
            return ""
        formatter = formatters.get(field)
        if formatter is None:
            return str(value)
        # Labels drawn as markup (tags) stay markup; str() would have the page print their tags.
        drawn = formatter(value)
        return drawn if isinstance(drawn, Markup) else str(drawn)

    return shown


def _labelled(counts: dict) -> list[tuple[str, int]]:
    """Table names as people call the records: a module's name where one owns the table."""
    from app.core.registry import registry

    names = {s.model.__tablename__: str(s.label_plural) for s in registry.specs.values()}
    names.update(comment=_("Comments"), follower=_("Followers"))
    return [(names.get(table, table), n) for table, n in counts.items()]


def merge_selected(actor, customers) -> Response:
    """A list action: open the merge page for the two selected customers."""
    if len(customers) != 2:
        raise DomainError("customers.merge_two", _("Choose exactly two customers to merge."))
    return redirect(url_for("CustomerMergeView.merge", id=[c.id for c in customers]))


def register_views(appbuilder) -> None:
    """导入客户 and 疑似重复客户 under the Customers menu."""
    from app.core.registry import registry

    appbuilder.add_link("menu:customer_import", href="/customers/import/", label=_l("Import customers"),
                        icon="fa-upload", category=MENU)
    appbuilder.add_view(CustomerMergeView, "menu:customer_duplicates", label=_l("Possible duplicate customers"),
                        icon="fa-clone", category=MENU)
    names = registry.menu_names.setdefault("customers", [MENU])
    for name in ("menu:customer_import", "menu:customer_duplicates"):
        if name not in names:
            names.append(name)
