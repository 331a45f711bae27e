"""Screens of 电子签名: our signer's signing page, the contract's 签署记录, the customer's one-time link pages
(no login), the verification page, and the 签署 tab of a contract."""
from __future__ import annotations

from flask import Response, current_app, flash, g, make_response, redirect, render_template, request, session
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup

from app.core.datamodel import current_actor
from app.core.errors import DomainError, ValidationErrors
from app.extensions import db
from app.modules.contracts import signing
from app.modules.contracts.models import (CURRENT, OURS, PARTY_CHOICES, SIGNER_STATUS_CHOICES, SIGNING,
                                          Contract)

SESSION_KEY = "zwt_signing_verified"
MAX_VERIFY_BYTES = 50 * 1024 * 1024


def _pdf_response(data: bytes, name: str, inline: bool = True) -> Response:
    from app.core.files.views import PDF_CSP
    from app.core.printing.views import pdf_response

    g.zwt_file_csp = PDF_CSP   # the PDF viewer's own policy, as for any PDF among the files
    return pdf_response(data, name, inline)


def _labels() -> dict:
    return {"party": {k: str(v) for k, v in PARTY_CHOICES}, "status": {k: str(v) for k, v in SIGNER_STATUS_CHOICES}}


def _error_status(exc: DomainError) -> int:
    return getattr(exc, "status", 400) or 400


class ContractSigningView(BaseView):
    """/contracts_sign/<id>: our authorised signer signs; /record: the signing record; /pdf: the PDF being signed."""

    route_base = "/contracts_sign"
    class_permission_name = "contracts"
    method_permission_name = {"sign": "read", "pdf": "read", "record": "read", "resend": "write", "start": "write"}
    base_permissions = ["can_read", "can_write"]

    @expose("/<int:contract_id>", methods=["GET", "POST"])
    @has_access
    def sign(self, contract_id: int):
        actor = current_actor()
        try:
            contract = signing.visible_to(actor, contract_id)
        except DomainError as exc:
            return self.render_template("contracts/sign.html", title=_("Sign the contract"), contract=None,
                                        error=exc.message), 404
        errors, status = {}, 200
        if request.method == "POST":
            try:
                drawn = signing.data_url_bytes(request.form.get("signature"))
                signing.sign_ours(actor, contract.id, request.form.get("picture", ""), drawn,
                                  request.form.get("secret", ""), remember=request.form.get("remember") == "1",
                                  ip=request.remote_addr or "", user_agent=request.headers.get("User-Agent", ""))
                flash(_("You have signed contract %(code)s.", code=contract.code), "success")
                return redirect(f"/contracts_sign/{contract.id}/record")
            except ValidationErrors as exc:
                db.session.rollback()
                errors, status = exc.errors, 400
            except DomainError as exc:
                db.session.rollback()
                errors, status = {"": [exc.message]}, _error_status(exc)
            except Exception as exc:   # the rate limit of wrong passwords
                from app.security.lockout import RateLimited

                if not isinstance(exc, RateLimited):
                    raise
                db.session.rollback()
                from app.security.auth import rate_limited_response

                return rate_limited_response(exc.retry_after)
            contract = db.session.get(Contract, contract.id)
        signer = signing.current_signer(contract.id)
        mine = signer is not None and signer.party == OURS and signer.user_id == actor.id and contract.status == SIGNING
        return self.render_template(
            "contracts/sign.html", title=_("Sign the contract"), contract=contract, signer=signer, mine=mine,
            stored=signing.stored_picture(actor), seals=signing.seals(), errors=errors,
            chosen=request.form.get("picture", ""), labels=_labels()), status

    @expose("/<int:contract_id>/pdf")
    @has_access
    def pdf(self, contract_id: int):
        try:
            contract = signing.visible_to(current_actor(), contract_id)
        except DomainError as exc:
            return make_response(exc.message, 404)
        data = signing.signing_pdf(contract)
        if data is None:
            return make_response(_("The contract's PDF is not ready yet."), 404)
        return _pdf_response(data, f"{contract.code}.pdf", inline=request.args.get("download") != "1")

    @expose("/<int:contract_id>/record")
    @has_access
    def record(self, contract_id: int):
        actor = current_actor()
        try:
            contract = signing.visible_to(actor, contract_id)
        except DomainError as exc:
            return self.render_template("contracts/signing_record.html", title=_("Signing record"), contract=None,
                                        error=exc.message), 404
        signers = signing.signers_of(contract.id)
        return self.render_template(
            "contracts/signing_record.html", title=_("Signing record"), contract=contract, signers=signers,
            labels=_labels(), method_label=signing.method_label, browser_of=signing.browser_of,
            current=signing.current_signer(contract.id), actor=actor,
            can_write=current_app.appbuilder.sm.has_access("can_write", "contracts"))

    @expose("/<int:contract_id>/resend", methods=["POST"])
    @has_access
    def resend(self, contract_id: int):
        try:
            signer = signing.resend_link(current_actor(), contract_id)
            flash(_("A new signing link was sent to %(where)s.", where=signing.masked_destination(signer)), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(f"/contracts_sign/{contract_id}/record"), _error_status(exc)
        return redirect(f"/contracts_sign/{contract_id}/record")

    @expose("/<int:contract_id>/start", methods=["POST"])
    @has_access
    def start(self, contract_id: int):
        try:
            contract = signing.start(current_actor(), contract_id)
            flash(_("Contract %(code)s sent for signing.", code=contract.code), "success")
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
            return redirect(f"/contracts/show/{contract_id}"), _error_status(exc)
        return redirect(f"/contracts_sign/{contract_id}/record")


class ContractVerifyView(BaseView):
    """/contracts_verify/: any PDF checked: ours or not, its signatures, and whether it changed since."""

    route_base = "/contracts_verify"
    default_view = "index"
    class_permission_name = "contracts"
    method_permission_name = {"index": "read"}
    base_permissions = ["can_read"]

    @expose("/", methods=["GET", "POST"])
    @has_access
    def index(self):
        from app.core import signing as pdf_signing

        result, found, version, error, status = None, None, "", "", 200
        if request.method == "POST":
            upload = request.files.get("file")
            data = upload.read(MAX_VERIFY_BYTES + 1) if upload is not None and upload.filename else b""
            if not data:
                error, status = _("Choose the PDF file to verify."), 400
            elif len(data) > MAX_VERIFY_BYTES:
                error, status = _("The file is larger than 50 MB."), 413
            else:
                result = pdf_signing.verify_pdf(data)
                found, version = signing.known_version(result.sha256)
                status = 200 if result.is_pdf else 400
        return self.render_template("contracts/verify.html", title=_("Verify a signed contract"), result=result,
                                    found=found, version=version, error=error), status


# -- the customer's pages (no login) ----------------------------------------------------------------------------
def _public(template: str, status: int = 200, **context):
    appbuilder = current_app.appbuilder
    html = render_template(template, base_template=appbuilder.base_template, appbuilder=appbuilder, **context)
    response = make_response(html, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _verified_id() -> int | None:
    value = session.get(SESSION_KEY)
    return value if isinstance(value, int) else None


class PublicSigningView(BaseView):
    """/sign/<token>: the customer's contact signs. The link works once, until it expires; the PDF and the
    signature pad show only after the 6-digit code sent to them was entered in this browser."""

    route_base = "/sign"

    def _limited(self):
        from app.security.lockout import RateLimited
        from app.security.registration_views import rate_check

        try:
            rate_check("contract_signing", request.remote_addr)
        except RateLimited as exc:
            from app.security.auth import rate_limited_response

            return rate_limited_response(exc.retry_after)
        return None

    def _gone(self, exc: DomainError):
        db.session.rollback()
        return _public("contracts/public_sign.html", _error_status(exc) if _error_status(exc) != 400 else 404,
                       title=_("Sign the contract"), message=exc.message, step="message")

    @expose("/<token>", methods=["GET", "POST"])
    def page(self, token: str):
        if request.method == "POST":
            limited = self._limited()
            if limited is not None:
                return limited
        try:
            signer = signing.signer_by_token(token)
        except DomainError as exc:
            return self._gone(exc)
        verified = _verified_id() == signer.id
        errors, status = {}, 200
        if request.method == "POST":
            try:
                contract = signing.sign_customer(token, _verified_id(), signing.data_url_bytes(request.form.get("signature")),
                                                 ip=request.remote_addr or "",
                                                 user_agent=request.headers.get("User-Agent", ""))
                session.pop(SESSION_KEY, None)
                return _public("contracts/public_sign.html", title=_("Sign the contract"), step="done",
                               message=_("Thank you. You have signed contract %(code)s.", code=contract.code))
            except ValidationErrors as exc:
                db.session.rollback()
                errors, status = exc.errors, 400
            except DomainError as exc:
                return self._gone(exc)
            signer = signing.signer_by_token(token)
        return _public("contracts/public_sign.html", status, title=_("Sign the contract"), signer=signer,
                       contract=signer.contract, token=token, step="sign" if verified else "code", errors=errors,
                       company=signing.contract_company(), destination=signing.masked_destination(signer))

    @expose("/<token>/code", methods=["POST"])
    def code(self, token: str):
        limited = self._limited()
        if limited is not None:
            return limited
        try:
            where = signing.send_code(token)
            flash(_("A 6-digit code was sent to %(where)s.", where=where), "info")
        except DomainError as exc:
            if isinstance(exc, (signing.LinkGone,)) or exc.code == "contracts.bad_link":
                return self._gone(exc)
            db.session.rollback()
            flash(exc.message, "warning")
        return redirect(f"/sign/{token}")

    @expose("/<token>/verify", methods=["POST"])
    def verify(self, token: str):
        limited = self._limited()
        if limited is not None:
            return limited
        try:
            signer = signing.check_code(token, request.form.get("code", ""))
        except ValidationErrors as exc:
            db.session.rollback()
            try:
                signer = signing.signer_by_token(token)
            except DomainError as gone:
                return self._gone(gone)
            return _public("contracts/public_sign.html", 400, title=_("Sign the contract"), signer=signer,
                           contract=signer.contract, token=token, step="code", errors=exc.errors,
                           company=signing.contract_company(), destination=signing.masked_destination(signer))
        except DomainError as exc:
            return self._gone(exc)
        session[SESSION_KEY] = signer.id
        return redirect(f"/sign/{token}")

    @expose("/<token>/pdf")
    def pdf(self, token: str):
        try:
            signer = signing.signer_by_token(token)
        except DomainError as exc:
            return self._gone(exc)
        if _verified_id() != signer.id:
            return _public("contracts/public_sign.html", 403, title=_("Sign the contract"), step="message",
                           message=_("Enter the code we sent you first."))
        return _pdf_response(signing.signing_pdf(signer.contract), f"{signer.contract.code}.pdf")


# -- the 签署 tab of a contract ----------------------------------------------------------------------------------
def render_tab(spec, item):
    signers = signing.signers_of(item.id)
    actor = current_actor()
    current = next((s for s in signers if s.status == CURRENT), None)
    return Markup(current_app.jinja_env.get_template("contracts/signing_tab.html").render(
        contract=item, signers=signers, labels=_labels(), current=current, actor=actor,
        method_label=signing.method_label, can_write=current_app.appbuilder.sm.has_access("can_write", "contracts")))


def register_views(appbuilder) -> None:
    from flask_babel import lazy_pgettext

    from app.core.panels import ShowTab, register_tab
    from app.core.registry import registry

    register_tab(ShowTab(key="signing", label=_l("Signing"), render=render_tab,
                         applies=lambda spec: spec.name == "contracts", order=30))
    appbuilder.add_view_no_menu(ContractSigningView)
    appbuilder.add_view_no_menu(PublicSigningView)
    appbuilder.add_view(ContractVerifyView, "menu:contracts_verify", label=lazy_pgettext("menu", "Verify a signed PDF"),
                        icon="fa-certificate", category="menu:contracts")
    names = registry.menu_names.setdefault("contracts", ["menu:contracts"])
    if "menu:contracts_verify" not in names:
        names.append("menu:contracts_verify")
