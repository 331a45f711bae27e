"""The product page's 360° view (虚拟展示) and the comparison of products (产品对比)."""
from __future__ import annotations

import os

from flask import Response, jsonify, make_response, redirect, render_template, request, session
from flask_appbuilder import BaseView, expose
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user

from app.core.errors import DomainError
from app.core.panels import ShowTab, register_tab
from app.extensions import db
from app.core.printing.render import render_pdf
from app.modules.products import showcase

DOCUMENT = os.path.join(os.path.dirname(__file__), "documents", "compare.html")
PERMISSION = "products"
TRAY = "products_compare_tray"


def _appbuilder():
    from flask import current_app

    return current_app.appbuilder


def _may_read() -> bool:
    if not current_user or not current_user.is_authenticated:
        return False
    return bool(_appbuilder().sm.has_access("can_read", PERMISSION))


class ProductCompareView(BaseView):
    """/products/compare/?ids=1,2,3[&diff=1]: two to four products side by side, for people who may
    read products; /products/compare/pdf?ids=…: the same comparison as a PDF document."""

    route_base = "/products/compare"
    default_view = "compare"
    class_permission_name = PERMISSION
    method_permission_name = {"compare": "read", "pdf": "read", "clear": "read"}
    base_permissions = ["can_read"]

    def _refused(self, message: str, status: int) -> Response:
        return make_response(self.render_template("products/compare_refused.html", title=_("Compare products"),
                                                  message=message), status)

    def _comparison(self):
        if not _may_read():
            return None, self._refused(_("You may not read products."), 403)
        try:
            raw = request.args.get("ids")
            ids = showcase.parse_ids(raw if raw is not None else ",".join(str(i) for i in session.get(TRAY, [])))
            return showcase.compare_products(ids), None
        except DomainError as exc:
            return None, self._refused(exc.message, exc.status)

    @expose("/")
    def compare(self):
        comparison, refusal = self._comparison()
        if refusal is not None:
            return refusal
        only_diff = request.args.get("diff") == "1"
        return self.render_template("products/compare.html", title=_("Compare products"),
                                    comparison=comparison, only_diff=only_diff,
                                    ids=",".join(str(i) for i in comparison["ids"]))

    @expose("/clear")
    def clear(self):
        session.pop(TRAY, None)
        return redirect(request.referrer if (request.referrer or "").startswith(request.host_url) else "/")

    @expose("/pdf")
    def pdf(self):
        comparison, refusal = self._comparison()
        if refusal is not None:
            return refusal
        with open(DOCUMENT, encoding="utf-8") as handle:
            body = handle.read()
        data = render_pdf(body, {"comparison": comparison, "only_diff": request.args.get("diff") == "1"})
        response = Response(data, mimetype="application/pdf")
        response.headers["Content-Disposition"] = "inline; filename=compare.pdf"
        return response


COMPARE_LABEL = _l("Add to comparison")   # the label of the products' action that calls add_to_comparison


def add_to_comparison(actor, items):
    """The products' action 加入对比: the chosen products join the user's compare tray (the last
    four kept); with two or more in the tray the comparison opens."""
    tray = [i for i in session.get(TRAY, []) if i not in {item.id for item in items}]
    tray = (tray + [item.id for item in items])[-showcase.MAX_PRODUCTS:]
    session[TRAY] = tray
    if len(tray) >= showcase.MIN_PRODUCTS:
        return redirect("/products/compare/?ids=" + ",".join(str(i) for i in tray))
    return _("Added to the comparison (%(count)s of %(most)s); add another product to compare.",
             count=len(tray), most=showcase.MAX_PRODUCTS)


def _frame_urls(frames) -> list[str]:
    return [f"/attachments/{frame.id}/download?inline=1" for frame in frames]


def render_spin_tab(spec, item):
    """The 360° tab of a product page: the viewer when frames exist, the upload form for writers."""
    from markupsafe import Markup

    from app.core.datamodel import current_actor
    from app.core.files.service import may_upload

    actor = current_actor()
    frames = showcase.spin_frames(actor, item.id)
    return Markup(render_template("products/spin360.html", product=item, frames=_frame_urls(frames),
                                  may_upload=may_upload(actor, spec), low=showcase.MIN_FRAMES,
                                  high=showcase.MAX_FRAMES))


class ProductSpinView(BaseView):
    """/products/spin360/<id>/: the product's 360° view on a page of its own; POST …/frames replaces
    the image sequence."""

    route_base = "/products/spin360"
    class_permission_name = PERMISSION
    method_permission_name = {"show": "read", "frames": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/<int:product_id>/")
    def show(self, product_id):
        from app.core.datamodel import current_actor
        from app.modules.products.models import Product

        if not _may_read():
            return make_response(self.render_template("products/compare_refused.html", title=_("360° view"),
                                                      message=_("You may not read products.")), 403)
        try:
            frames = showcase.spin_frames(current_actor(), product_id)
        except DomainError as exc:
            return make_response(self.render_template("products/compare_refused.html", title=_("360° view"),
                                                      message=exc.message), exc.status)
        product = db.session.get(Product, product_id)
        return self.render_template("products/spin360_page.html", title=_("360° view"), product=product,
                                    frames=_frame_urls(frames), may_upload=_may_write(),
                                    low=showcase.MIN_FRAMES, high=showcase.MAX_FRAMES)

    @expose("/<int:product_id>/frames", methods=["POST"])
    def frames(self, product_id):
        from app.core.datamodel import current_actor

        if not _may_read():
            return jsonify(message=_("You may not read products.")), 403
        files = [(f.filename or "", f.stream) for f in request.files.getlist("frames") if f and f.filename]
        try:
            added = showcase.replace_spin_frames(current_actor(), product_id, files)
        except DomainError as exc:
            db.session.rollback()
            return jsonify(message=exc.message, field=exc.field), exc.status
        return jsonify(count=len(added), frames=_frame_urls(added))


def _may_write() -> bool:
    return _may_read() and bool(_appbuilder().sm.has_access("can_write", PERMISSION))


def register_views(appbuilder) -> None:
    appbuilder.add_view_no_menu(ProductCompareView)
    appbuilder.add_view_no_menu(ProductSpinView)
    register_tab(ShowTab(key="spin360", label=_l("360° view"), render=render_spin_tab,
                         applies=lambda spec: spec.name == "products", order=30))
