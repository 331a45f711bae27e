"""电子签名: an approved contract signed by its parties in its type's order, each signature a PAdES signature
added to the contract's PDF (app/core/signing).

发起签署 adds the 签署记录 page to the approved PDF, with a box for each party, and moves the contract to 签署中.
Our authorised signer (the contract type's) signs in the app with their stored signature, a company seal or
a drawing, confirmed with their password or authenticator code. The customer's contact gets a one-time link
(SMS or e-mail outbox), asks for a 6-digit code, sees the PDF and draws a signature. Each signature is
recorded (who, when, IP, browser, method, the PDF's SHA-256 before and after) and stamped into that party's
box; when the last party has signed the contract is 已签订 and the signed PDF is kept among its files.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import secrets

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import lazyload
from werkzeug.security import check_password_hash, generate_password_hash

from app.core import signing as pdf_signing
from app.core.clock import utcnow
from app.core.errors import DomainError, Forbidden, NotFound, ValidationErrors
from app.core.scope import can_see
from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.contracts.models import (APPROVED, CANCELLED, CURRENT, CUSTOMER, CUSTOMER_FIRST, DONE, OURS,
                                          SIGNED, SIGNING, SIGNING_DONE, WAITING, Contract,
                                          ContractSeal, ContractSigner, SigningPicture)

CODE_MINUTES = 10
CODE_TRIES = 5
CODES_PER_LINK = 5
CODE_WAIT_SECONDS = 60
PICTURE_MAX_BYTES = 512 * 1024
MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
STORED, SEAL, DRAWN = "stored", "seal", "drawn"
PASSWORD, TOTP, CODE = "password", "totp", "code"


class WrongState(DomainError):
    status = 409


class LinkGone(DomainError):
    status = 410


def _today() -> dt.date:
    from app.core.clock import company_today

    return company_today()


def _digest(token: str) -> str:
    return hashlib.sha256((token or "").encode()).hexdigest()


def _store():
    from app.core.files import store

    return store()


def method_label(signer: ContractSigner) -> str:
    confirmed = {PASSWORD: _("password"), TOTP: _("authenticator code"), CODE: _("SMS / e-mail code")}
    pictures = {STORED: _("stored signature"), SEAL: _("company seal"), DRAWN: _("handwritten signature")}
    parts = [confirmed.get(signer.method or "", signer.method or ""), pictures.get(signer.picture or "", "")]
    return " + ".join(p for p in parts if p)


def browser_of(user_agent: str) -> str:
    """A short name of the browser and system a User-Agent names (the record keeps the whole string)."""
    text = user_agent or ""
    browser = next((name for key, name in (("Edg/", "Edge"), ("MicroMessenger", "微信"), ("Chrome/", "Chrome"),
                                           ("Firefox/", "Firefox"), ("Safari/", "Safari")) if key in text), "")
    system = next((name for key, name in (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"),
                                          ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux")) if key in text),
                  "")
    return " / ".join(p for p in (browser, system) if p) or text[:40] or "-"


def _locked(contract_id: int) -> Contract:
    found = db.session.execute(select(Contract).where(Contract.id == contract_id).options(lazyload("*"))
                               .with_for_update(of=Contract)).scalar()
    if found is None:
        raise NotFound("contracts.no_contract", _("The contract does not exist or you may not see it."))
    return found


def signers_of(contract_id: int) -> list[ContractSigner]:
    return list(db.session.scalars(select(ContractSigner).where(ContractSigner.contract_id == contract_id)
                                   .order_by(ContractSigner.seq)))


def current_signer(contract_id: int) -> ContractSigner | None:
    return db.session.scalar(select(ContractSigner).where(ContractSigner.contract_id == contract_id,
                                                          ContractSigner.status == CURRENT))


def _contact_channels(contact) -> tuple[str | None, str | None]:
    phone = re.sub(r"[\s-]", "", contact.phone or "") if contact is not None else ""
    email = (contact.email or "").strip() if contact is not None else ""
    return (phone if MOBILE.match(phone) else None), (email if "@" in email else None)


# -- 发起签署 --------------------------------------------------------------------------------------------------
def start(actor, contract_id: int) -> Contract:
    """Start signing an approved contract: the parties in its type's order, the 签署记录 page added to its PDF,
    and the first party asked to sign."""
    from app.modules.contracts.lifecycle import freeze_document

    contract = db.session.get(Contract, contract_id)
    if contract is None or (actor is not None and not can_see("contracts", actor, contract_id)):
        raise NotFound("contracts.no_contract", _("The contract does not exist or you may not see it."))
    if contract.status == APPROVED and not contract.pdf_sha256:
        freeze_document(contract.id)     # normally done by the job right after approval
    with unit_of_work(actor) as uow:
        contract = _locked(contract_id)
        if contract.status != APPROVED:
            raise WrongState("contracts.not_approved_for_signing", _(
                "Only an approved contract can be sent for signing; %(code)s is not.", code=contract.code))
        kind = contract.type
        errors = []
        signer_user = kind.signer if kind is not None else None
        if signer_user is None or not signer_user.active:
            errors.append(_("The contract type %(type)s has no authorised signer: an administrator sets one "
                            "under Contract types.", type=kind.name if kind is not None else _("(none)")))
        mobile, email = _contact_channels(contract.contact)
        if contract.contact is None:
            errors.append(_("Choose the customer's contact who signs the contract."))
        elif not (mobile or email):
            errors.append(_("The contact %(name)s has neither a mobile number nor an e-mail address to send the "
                            "signing link to.", name=contract.contact.name))
        if errors:
            raise DomainError("contracts.cannot_sign", " ".join(errors))
        parties = [(OURS, signer_user), (CUSTOMER, contract.contact)]
        if kind.sign_order == CUSTOMER_FIRST:
            parties.reverse()
        company = contract_company()
        labels = [_("Our company: %(company)s, authorised signer %(name)s", company=company,
                    name=_person(who)) if party == OURS else
                  _("Customer: %(customer)s, %(name)s", customer=contract.customer.name, name=who.name)
                  for party, who in parties]
        approved = _store().read(contract.pdf_sha256)
        page = pdf_signing.record_page(_("Signing record"), [
            (_("Contract code"), contract.code), (_("Contract title"), contract.title),
            (_("Customer"), contract.customer.name), (_("Contract amount"), f"¥{contract.amount:,.2f}"),
            (_("SHA-256 of the approved PDF"), contract.pdf_sha256)], labels)
        document = pdf_signing.with_page(approved, page.pdf)
        contract.signing_sha256 = _store().put_bytes(document, content_type="application/pdf")
        db.session.execute(update(ContractSigner).where(ContractSigner.contract_id == contract.id,
                                                        ContractSigner.status.in_((WAITING, CURRENT)))
                           .values(status=CANCELLED, link_hash=None))
        start_seq = max([s.seq for s in signers_of(contract.id)] or [0])
        for number, ((party, who), box) in enumerate(zip(parties, page.boxes), start=1):
            db.session.add(ContractSigner(
                contract_id=contract.id, seq=start_seq + number, party=party, status=WAITING,
                user_id=who.id if party == OURS else None, contact_id=who.id if party == CUSTOMER else None,
                name=_person(who) if party == OURS else who.name, mobile=mobile if party == CUSTOMER else None,
                email=email if party == CUSTOMER else None, field_name=f"zwt_sign_{start_seq + number}",
                box=",".join(f"{v:.1f}" for v in box)))
        contract.status = SIGNING
        db.session.flush()
        _advance(uow, contract)
    return contract


def contract_company() -> str:
    from app.core.branding import branding

    try:
        return branding().get("name") or current_app.config.get("APP_NAME") or ""
    except RuntimeError:
        return current_app.config.get("APP_NAME") or ""


def _person(user) -> str:
    name = f"{user.last_name or ''}{user.first_name or ''}".strip()
    return name or user.username


def _advance(uow, contract: Contract) -> None:
    """The next party is asked to sign; after the last, the contract is signed."""
    from app.core.notify import notify

    waiting = [s for s in signers_of(contract.id) if s.status in (WAITING, CURRENT)]
    if not waiting:
        _signed(uow, contract)
        return
    nxt = waiting[0]
    if nxt.status == CURRENT:
        return
    nxt.status = CURRENT
    contract.signing_state = nxt.party
    if nxt.party == OURS:
        if nxt.user is not None:
            notify(uow, [nxt.user], _("Contract %(code)s is waiting for your signature", code=contract.code),
                   _("%(title)s with %(customer)s: sign it in the app.", title=contract.title,
                     customer=contract.customer.name), link=f"/contracts_sign/{contract.id}")
    else:
        send_link(uow, contract, nxt)


def _signed(uow, contract: Contract) -> None:
    from app.core.files.service import attach_generated
    from app.core.notify import notify
    from app.modules.contracts import service

    today = _today()
    contract.status = SIGNED
    contract.signing_state = SIGNING_DONE
    contract.signed_on = contract.signed_on or today
    service.renewal_signed(contract)
    service.watch(contract, today)
    data = _store().read(contract.signing_sha256)
    attach_generated("contracts", contract.id, data, _("Contract %(code)s signed", code=contract.code) + ".pdf")
    if contract.owner is not None:
        notify(uow, [contract.owner], _("Contract %(code)s is signed by every party", code=contract.code),
               contract.title, link=f"/contracts/show/{contract.id}")


# -- the customer's one-time link ------------------------------------------------------------------------------
def send_link(uow, contract: Contract, signer: ContractSigner) -> str:
    """A new one-time link for the customer's contact (any earlier one stops working), sent by SMS and
    e-mail through the outboxes. Returns the link."""
    from app.core.notify import public_url, send_mail
    from app.security.sms import send_sms

    token = secrets.token_urlsafe(32)
    days = int(current_app.config.get("SIGNING_LINK_DAYS") or 7)
    signer.link_hash = _digest(token)
    signer.link_sent_at = utcnow()
    signer.link_expires_at = signer.link_sent_at + dt.timedelta(days=days)
    signer.code_hash, signer.code_attempts, signer.codes_sent = None, 0, 0
    link = public_url(f"/sign/{token}")
    company = contract_company()
    text = _("%(company)s asks you to sign contract %(code)s (%(title)s). Open %(link)s within %(days)d days "
             "and enter the code we then send you.", company=company, code=contract.code, title=contract.title,
             link=link, days=days)
    if signer.mobile:
        send_sms(uow, signer.mobile, text)
    if signer.email:
        send_mail(uow, signer.email, _("Please sign contract %(code)s", code=contract.code), text)
    return link


def resend_link(actor, contract_id: int) -> ContractSigner:
    """The customer's link sent again (a new one), by the contract's owner or anyone who may edit it."""
    with unit_of_work(actor) as uow:
        contract = _locked(contract_id)
        if actor is not None and not can_see("contracts", actor, contract_id):
            raise NotFound("contracts.no_contract", _("The contract does not exist or you may not see it."))
        signer = current_signer(contract.id)
        if contract.status != SIGNING or signer is None or signer.party != CUSTOMER:
            raise WrongState("contracts.no_customer_turn", _("Contract %(code)s is not waiting for the customer's "
                                                              "signature.", code=contract.code))
        send_link(uow, contract, signer)
    return signer


def signer_by_token(token: str) -> ContractSigner:
    """The party a one-time link belongs to, while it may still be used."""
    signer = db.session.scalar(select(ContractSigner).where(ContractSigner.link_hash == _digest(token))) \
        if token and len(token) < 100 else None
    if signer is None:
        raise NotFound("contracts.bad_link", _("This signing link is not valid. Please use the newest link you "
                                               "received."))
    if signer.link_used_at is not None or signer.status == DONE:
        raise LinkGone("contracts.link_used", _("This signing link has already been used: the contract is signed."))
    if signer.status != CURRENT or signer.contract.status != SIGNING:
        raise LinkGone("contracts.link_closed", _("This contract is no longer waiting for your signature."))
    if signer.link_expires_at is None or signer.link_expires_at <= utcnow():
        raise LinkGone("contracts.link_expired", _("This signing link has expired. Please ask %(company)s for a "
                                                   "new one.", company=contract_company()))
    return signer


def masked_destination(signer: ContractSigner) -> str:
    if signer.mobile:
        return f"{signer.mobile[:3]}****{signer.mobile[-4:]}"
    local, _sep, domain = (signer.email or "").partition("@")
    return f"{local[:1]}***@{domain}"


def send_code(token: str) -> str:
    """A 6-digit code to the contact's mobile (or e-mail), good for CODE_MINUTES; a newer one replaces it."""
    from app.core.notify import send_mail
    from app.security.sms import send_sms

    with unit_of_work(None) as uow:
        signer = signer_by_token(token)
        signer = db.session.execute(select(ContractSigner).where(ContractSigner.id == signer.id)
                                    .with_for_update()).scalar_one()
        now = utcnow()
        if signer.code_sent_at is not None and (now - signer.code_sent_at).total_seconds() < CODE_WAIT_SECONDS:
            wait = CODE_WAIT_SECONDS - int((now - signer.code_sent_at).total_seconds())
            raise DomainError("contracts.code_wait", _("A code was sent a moment ago. You can ask for another in "
                                                       "%(num)d seconds.", num=max(wait, 1)))
        if signer.codes_sent >= CODES_PER_LINK:
            raise DomainError("contracts.too_many_codes", _("Too many codes were sent for this link. Please ask "
                                                            "%(company)s for a new link.", company=contract_company()))
        code = f"{secrets.randbelow(10 ** 6):06d}"
        signer.code_hash = generate_password_hash(code, method="pbkdf2:sha256:60000")
        signer.code_expires_at = now + dt.timedelta(minutes=CODE_MINUTES)
        signer.code_attempts = 0
        signer.codes_sent += 1
        signer.code_sent_at = now
        text = _("Your code to sign contract %(code)s is %(digits)s. It is valid for %(minutes)d minutes; do not "
                 "tell it to anyone.", code=signer.contract.code, digits=code, minutes=CODE_MINUTES)
        if signer.mobile:
            send_sms(uow, signer.mobile, text)
        else:
            send_mail(uow, signer.email, _("Code to sign contract %(code)s", code=signer.contract.code), text)
    return masked_destination(signer)


def check_code(token: str, code: str) -> ContractSigner:
    """The party when `code` is their newest code, unused and in time; every try counts."""
    with unit_of_work(None):
        signer = signer_by_token(token)
        digits = "".join(ch for ch in str(code or "") if ch.isdigit())
        if signer.code_hash is None or signer.code_expires_at is None or signer.code_expires_at <= utcnow() \
                or signer.code_attempts >= CODE_TRIES:
            raise ValidationErrors({"code": [_("The code has expired or was tried too often. Ask for a new "
                                               "code.")]})
        counted = db.session.execute(update(ContractSigner).where(
            ContractSigner.id == signer.id, ContractSigner.code_attempts < CODE_TRIES)
            .values(code_attempts=ContractSigner.code_attempts + 1)).rowcount
        right = bool(counted) and len(digits) == 6 and check_password_hash(signer.code_hash, digits)
        if right:
            signer.code_hash = None   # a code works once
    if not right:   # the try was counted all the same
        raise ValidationErrors({"code": [_("The code is wrong. Please check the message and try again.")]})
    return signer


# -- pictures ------------------------------------------------------------------------------------------------
def clean_picture(data: bytes | None) -> bytes:
    """A drawn signature as a PNG of sensible size, or a clear error."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValidationErrors({"picture": [_("Draw your signature in the box first.")]})
    if len(data) > PICTURE_MAX_BYTES:
        raise ValidationErrors({"picture": [_("The signature picture is too large.")]})
    try:
        image = Image.open(io.BytesIO(data))
        if image.format != "PNG" or image.width > 3000 or image.height > 2000:
            raise ValueError
        image = image.convert("RGBA")
    except (UnidentifiedImageError, ValueError, OSError, Image.DecompressionBombError):
        raise ValidationErrors({"picture": [_("The signature picture cannot be read; please draw it again.")]})
    if image.getbbox() is None or image.getchannel("A").getbbox() is None:
        raise ValidationErrors({"picture": [_("Draw your signature in the box first.")]})
    out = io.BytesIO()
    image.crop(image.getchannel("A").getbbox()).save(out, format="PNG")
    return out.getvalue()


def data_url_bytes(value: str | None) -> bytes | None:
    """The PNG the signature pad posts (a data URL), or None when nothing was drawn."""
    from app.workflow.comment_files import signature_from_data_url

    try:
        return signature_from_data_url(value)
    except DomainError as exc:
        raise ValidationErrors({"picture": [exc.message]}) from None


def stored_picture(user) -> SigningPicture | None:
    return db.session.get(SigningPicture, user.id) if user is not None else None


def seals() -> list[ContractSeal]:
    """The active company seals that have a picture."""
    return [seal for seal in db.session.scalars(select(ContractSeal).where(ContractSeal.active.is_(True))
                                                .order_by(ContractSeal.name)) if seal_picture_key(seal.id)]


def seal_picture_key(seal_id: int) -> str | None:
    from app.core.files.models import Attachment

    return db.session.scalar(select(Attachment.sha256).where(
        Attachment.spec == "contract_seals", Attachment.record_id == seal_id, Attachment.deleted.is_(False),
        Attachment.content_type.in_(("image/png", "image/jpeg", "image/webp"))).order_by(Attachment.id.desc())
        .limit(1))


def _picture(actor, choice: str, drawn: bytes | None) -> tuple[str, bytes]:
    if choice == STORED:
        row = stored_picture(actor)
        if row is None:
            raise ValidationErrors({"picture": [_("You have no stored signature yet: draw one.")]})
        return STORED, _store().read(row.sha256)
    if choice.startswith(SEAL + ":"):
        seal_id = choice.partition(":")[2]
        seal = db.session.get(ContractSeal, int(seal_id)) if seal_id.isdigit() and len(seal_id) < 10 else None
        key = seal_picture_key(seal.id) if seal is not None and seal.active else None
        if key is None:
            raise ValidationErrors({"picture": [_("That company seal cannot be used.")]})
        return SEAL, _store().read(key)
    if choice == DRAWN:
        return DRAWN, clean_picture(drawn)
    raise ValidationErrors({"picture": [_("Choose your stored signature, a company seal or draw one.")]})


# -- signing -------------------------------------------------------------------------------------------------
def _apply(contract: Contract, signer: ContractSigner, picture: bytes, method: str, kind: str, ip: str,
           user_agent: str) -> None:
    from app.core.printing.render import chinese_datetime

    now = utcnow()
    before = contract.signing_sha256
    data = _store().read(before)
    if hashlib.sha256(data).hexdigest() != before:
        raise WrongState("contracts.pdf_changed", _("The contract's PDF in the file store is not the one being "
                                                    "signed. Ask the administrator to check the file store."))
    signer.signed_at, signer.ip, signer.user_agent = now, (ip or "")[:64], (user_agent or "")[:300]
    signer.method, signer.picture, signer.document_sha256 = method, kind, before
    party = _("Our company") if signer.party == OURS else _("Customer")
    lines = [f"{signer.name} · {party}", _("Signed at %(when)s", when=chinese_datetime(now, "%Y-%m-%d %H:%M:%S")),
             f"IP {signer.ip or '-'} · {browser_of(signer.user_agent)}", method_label(signer),
             f"SHA-256 {before[:32]}…"]
    box = tuple(float(v) for v in signer.box.split(","))
    signed = pdf_signing.sign_pdf(data, signer.field_name, box, lines, picture, name=signer.name,
                                  reason=_("Signs contract %(code)s", code=contract.code),
                                  location=contract_company())
    signer.signed_sha256 = contract.signing_sha256 = _store().put_bytes(signed, content_type="application/pdf")
    signer.status = DONE


def sign_ours(actor, contract_id: int, choice: str, drawn: bytes | None, secret: str, remember: bool = False,
              ip: str = "", user_agent: str = "") -> Contract:
    """Our authorised signer signs: identity confirmed with their password or authenticator code first."""
    from app.security.auth import confirm_identity

    with unit_of_work(actor):
        method = confirm_identity(actor, secret)
    if method is None:
        raise ValidationErrors({"secret": [_("The password or code is wrong.")]})
    with unit_of_work(actor) as uow:
        contract = _locked(contract_id)
        if not can_see("contracts", actor, contract_id) and not _is_signer(actor, contract_id):
            raise NotFound("contracts.no_contract", _("The contract does not exist or you may not see it."))
        signer = current_signer(contract.id)
        if contract.status != SIGNING or signer is None or signer.party != OURS:
            raise WrongState("contracts.not_our_turn", _("Contract %(code)s is not waiting for our signature.",
                                                         code=contract.code))
        if signer.user_id != actor.id:
            raise Forbidden("contracts.not_the_signer", _("Only %(name)s, the authorised signer, can sign contract "
                                                          "%(code)s for our company.", name=signer.name,
                                                          code=contract.code))
        kind, picture = _picture(actor, choice or "", drawn)
        _apply(contract, signer, picture, method, kind, ip, user_agent)
        if remember and kind == DRAWN:
            key = _store().put_bytes(picture, content_type="image/png")
            row = stored_picture(actor) or SigningPicture(user_id=actor.id)
            row.sha256, row.updated_at = key, utcnow()
            db.session.add(row)
        db.session.flush()
        _advance(uow, contract)
    return contract


def sign_customer(token: str, verified_signer_id: int | None, drawn: bytes | None, ip: str = "",
                  user_agent: str = "") -> Contract:
    """The customer's contact signs through their link, after their code was checked in this browser."""
    picture = clean_picture(drawn)
    with unit_of_work(None) as uow:
        signer = signer_by_token(token)
        if verified_signer_id != signer.id:
            raise Forbidden("contracts.code_first", _("Enter the code we sent you first."))
        contract = _locked(signer.contract_id)
        signer = db.session.execute(select(ContractSigner).where(ContractSigner.id == signer.id)
                                    .with_for_update()).scalar_one()
        if signer.status != CURRENT or signer.link_used_at is not None:
            raise LinkGone("contracts.link_used", _("This signing link has already been used: the contract is "
                                                    "signed."))
        _apply(contract, signer, picture, CODE, DRAWN, ip, user_agent)
        signer.link_used_at = utcnow()
        db.session.flush()
        _advance(uow, contract)
    return contract


def _is_signer(actor, contract_id: int) -> bool:
    return actor is not None and db.session.scalar(select(ContractSigner.id).where(
        ContractSigner.contract_id == contract_id, ContractSigner.user_id == actor.id).limit(1)) is not None


def visible_to(actor, contract_id: int) -> Contract:
    """The contract when the actor may see it, or is (or was) one of its signers."""
    contract = db.session.get(Contract, contract_id) if 0 < contract_id < 2 ** 31 else None
    if contract is None or not (can_see("contracts", actor, contract_id) or _is_signer(actor, contract_id)):
        raise NotFound("contracts.no_contract", _("The contract does not exist or you may not see it."))
    return contract


def signing_pdf(contract: Contract) -> bytes | None:
    key = contract.signing_sha256 or contract.pdf_sha256
    return _store().read(key) if key else None


def start_action(actor, items):
    """发起签署 from the list or the record: one contract, then its signing record."""
    from flask import flash, redirect

    contract = start(actor, items[0].id)
    flash(_("Contract %(code)s sent for signing.", code=contract.code), "success")
    return redirect(f"/contracts_sign/{contract.id}/record")


# -- verification --------------------------------------------------------------------------------------------
def known_version(sha256: str) -> tuple[Contract | None, str]:
    """The contract a PDF with this SHA-256 belongs to, and which version it is, when we made it."""
    signer = db.session.scalar(select(ContractSigner).where(ContractSigner.signed_sha256 == sha256).limit(1))
    if signer is not None:
        return signer.contract, _("signed by %(name)s", name=signer.name)
    contract = db.session.scalar(select(Contract).where(Contract.signing_sha256 == sha256).limit(1))
    if contract is not None:
        return contract, _("sent for signing")
    contract = db.session.scalar(select(Contract).where(Contract.pdf_sha256 == sha256).limit(1))
    if contract is not None:
        return contract, _("as approved")
    return None, ""
