"""智能推荐 on the pages: the product page's 推荐 tab (常一起购买, 相似产品), the customer page's 推荐产品 tab
(为该客户推荐, each with its reason), 为客户展示 (the salesperson serves a customer: the product pages
they open from then on are recorded for that customer), and 重新计算 for those who maintain products.
Every opened product page is recorded as a view of its user (and of the customer being served)."""
from __future__ import annotations

import logging

from flask import abort, current_app, flash, redirect, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup

from app.core.panels import ShowTab, register_tab
from app.extensions import db
from app.modules.products import recommend
from app.modules.products import recommend_service as service

log = logging.getLogger(__name__)
PERMISSION = "products"
PRODUCT_PAGE = "ProductView.show"


def reasons() -> dict:
    return {
        recommend.CO_PURCHASE: _("Often bought together"),
        recommend.SIMILAR: _("Similar product"),
        recommend.VIEWED: _("Viewed for this customer"),
        recommend.BOUGHT_WITH_HISTORY: _("Often bought with what the customer bought"),
        recommend.POPULAR: _("Popular"),
    }


def _may(permission: str, view_name: str = PERMISSION) -> bool:
    return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", view_name))


def _render(template: str, **context) -> Markup:
    return Markup(current_app.jinja_env.get_template(template).render(reasons=reasons(), **context))


def render_product_tab(spec, item):
    found = service.for_product(item.id)
    serving = _serving()
    return _render("products/recommend_product_tab.html", product=item, found=found, serving=serving,
                   kinds=[(recommend.CO_PURCHASE, _("Often bought together")),
                          (recommend.SIMILAR, _("Similar products"))])


def render_customer_tab(spec, item):
    if not _may("read"):
        return None
    return _render("products/recommend_customer_tab.html", customer=item, found=service.for_customer(item.id),
                   serving=service.serving_customer_id() == item.id)


def _serving():
    from app.modules.customers.models import Customer

    customer_id = service.serving_customer_id()
    return db.session.get(Customer, customer_id) if customer_id else None


def _record(response):
    """After a product page was shown: a view of its user, and of the customer being served."""
    try:
        if request.endpoint != PRODUCT_PAGE or response.status_code != 200 or request.method != "GET":
            return response
        from flask_login import current_user

        if not getattr(current_user, "is_authenticated", False):
            return response
        product_id = int((request.view_args or {}).get("pk"))
        service.record_view(current_user.id, product_id, service.serving_customer_id())
    except Exception:   # a view that could not be recorded must not cost the user the page
        db.session.rollback()
        log.exception("product view not recorded")
    return response


class RecommendView(BaseView):
    """/products/recommend/: serve a customer (为客户展示) or stop, and recompute the suggestions now."""

    route_base = "/products/recommend"
    class_permission_name = PERMISSION
    method_permission_name = {"serve": "read", "stop": "read", "recompute": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/serve/<int:customer_id>", methods=["POST"])
    @has_access
    def serve(self, customer_id):
        from app.core.datamodel import current_actor
        from app.core.scope import can_see

        if not can_see("customers", current_actor(), customer_id):
            abort(404)
        service.serve(customer_id)
        return redirect("/products/catalogue/")

    @expose("/stop", methods=["POST"])
    @has_access
    def stop(self):
        service.serve(None)
        back = request.form.get("next") or "/products/catalogue/"
        return redirect(back if back.startswith("/") and not back.startswith("//") else "/products/catalogue/")

    @expose("/recompute", methods=["POST"])
    @has_access
    def recompute(self):
        from app.core.jobs import queue
        from app.modules.products.jobs import recompute_suggestions

        queue().enqueue(recompute_suggestions)
        flash(_("The suggestions are being recomputed; they change within a few minutes."), "info")
        back = request.form.get("next") or "/products/list/"
        return redirect(back if back.startswith("/") and not back.startswith("//") else "/products/list/")


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(RecommendView)
    current_app.after_request(_record)
    register_tab(ShowTab(key="recommend", label=_l("Recommendations"), render=render_product_tab,
                         applies=lambda spec: spec.name == "products", order=35))
    register_tab(ShowTab(key="recommended", label=_l("Recommended products"), render=render_customer_tab,
                         applies=lambda spec: spec.name == "customers", order=45))
