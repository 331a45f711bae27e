"""The submit screen's requests (ApprovalTaskView.submit hands them here): GET draws the route
preview and the pickers, GET ?people=<key>&q=… searches the people a picker allows, POST submits.

A POST from the document's 审批 tab carries no choices; when the route needs some, the user is sent
to the screen (303) with nothing written. A POST from the screen with a missing or wrong choice is
refused (4xx, the message in Chinese, what was typed kept) and nothing is written."""
from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.errors import DomainError, Forbidden, NotFound
from app.extensions import db
from app.workflow import engine, picks as picking, submit_page
from app.workflow.approver_kinds import describe_allowed
from app.workflow.views_common import safe_next

FORM_MARK = "picks_shown"   # the screen's form says it showed the pickers


def _raw_picks(form, definition) -> dict:
    if definition is None:
        return {}
    return {p.key: form.getlist(p.field) for p in picking.pickers(definition, None) if p.field in form}


def handle(view, spec, record_id: int, back: str, tab_anchor: str):
    actor = current_actor()
    item = submit_page.document_for(spec, record_id, actor)   # NotFound → 404 by the caller
    if request.method == "GET":
        key = request.args.get("people")
        if key is not None:
            try:
                return jsonify({"results": submit_page.people(spec, item, actor, key, request.args.get("q", ""))})
            except DomainError as error:
                return jsonify({"error": error.message, "results": []}), error.status
        return _render(view, spec, item, actor, back)
    comment = request.form.get("comment", "").strip()
    shown = submit_page.page(spec, item, actor)
    raw = _raw_picks(request.form, shown.definition)
    if shown.pickers and FORM_MARK not in request.form:
        return redirect(url_for("ApprovalTaskView.submit", document=spec.name, record_id=record_id), code=303)
    try:
        engine.submit(actor, spec.name, record_id, comment or None, picks=raw)
    except DomainError as error:
        db.session.rollback()
        if isinstance(error, (NotFound, Forbidden)):
            raise
        item = db.session.get(spec.model, record_id)
        return _render(view, spec, item, actor, back, error=error, comment=comment, raw=raw), error.status
    flash(_("Submitted for approval."), "success")
    return redirect(safe_next(back + tab_anchor))


def _render(view, spec, item, actor, back, error=None, comment="", raw=None):
    shown = submit_page.page(spec, item, actor, raw) if item is not None else None
    return view.render_template("workflow/submit.html", title=_("Submit for approval"), spec=spec, item=item,
                                error=error.message if error is not None else None,
                                error_field=getattr(error, "field", None), comment=comment, back=back,
                                shown=shown, form_mark=FORM_MARK, describe_allowed=describe_allowed)
