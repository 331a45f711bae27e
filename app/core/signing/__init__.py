"""PDF signatures (电子签名): the organisation's signing certificate, incremental PAdES signatures with a
visible stamp, the 签署记录 page the stamps go on, and the verification of any PDF.

Every signature is made with the organisation's certificate (SIGNING_PKCS12, a PKCS#12 file, with
SIGNING_PKCS12_PASSWORD; outside production one is generated under instance/signing/ at `init` or on first
use). Who signed is what the stamp and the signature's name and reason say; the signing record keeps the
rest. A signature is added as an incremental update, so the signatures before it stay valid and a reader
shows the document unchanged since each of them.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from app.core.errors import DomainError

# pyHanko imports the DSA key type for old signatures; ours are ECDSA.
warnings.filterwarnings("ignore", message="DSA is deprecated", module="pyhanko")
CERT_DAYS = 3650
STAMP_SCALE = 3          # image pixels per PDF point: sharp when printed
_cache: dict = {}
_lock = threading.Lock()


class SigningUnavailable(DomainError):
    status = 409


def _off_event_loop(fn, *args, **kwargs):
    """pyHanko runs its own asyncio loop: where one already runs in this thread (an async host, a test driving
    a browser), the work goes to a helper thread."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from flask import copy_current_request_context, has_request_context

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args, **kwargs)
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            return fn(*args, **kwargs)

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(copy_current_request_context(run) if has_request_context() else run).result()


# -- the organisation's identity -------------------------------------------------------------------------
def identity_path() -> Path:
    configured = current_app.config.get("SIGNING_PKCS12") or ""
    if configured:
        return Path(configured)
    return Path(current_app.config["INSTANCE_DIR"]) / "signing" / "organisation.p12"


def _password() -> bytes | None:
    given = current_app.config.get("SIGNING_PKCS12_PASSWORD") or ""
    return given.encode() if given else None


def _generate(path: Path, organisation: str) -> None:
    """A self-signed ECDSA certificate for the demo and for installations without their own: valid for ten
    years, usable for document signatures only."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} 电子签章"[:64])])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    password = _password()
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    data = pkcs12.serialize_key_and_certificates(b"organisation", key, cert, None, encryption)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:   # the first writer wins: workers starting together end up with one identity
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        os.unlink(temporary)


def ensure_identity(organisation: str | None = None) -> Path:
    """The signing identity's file, generated outside production when there is none."""
    path = identity_path()
    if path.exists():
        return path
    if current_app.config.get("SIGNING_PKCS12"):
        raise SigningUnavailable("signing.no_certificate", _(
            "The signing certificate %(path)s cannot be read. Ask the administrator to check SIGNING_PKCS12.",
            path=path.name))
    if current_app.config.get("ZWT_ENV") == "production":
        raise SigningUnavailable("signing.no_certificate", _(
            "No signing certificate is configured. Ask the administrator to set SIGNING_PKCS12 (a PKCS#12 file) "
            "and SIGNING_PKCS12_PASSWORD."))
    _generate(path, organisation or current_app.config.get("SIGNING_ORGANISATION") or
              current_app.config.get("APP_NAME") or "掌务通")
    return path


def signer():
    """The organisation's pyHanko signer, read once per process (again when the file changes)."""
    from pyhanko.sign import signers

    path = ensure_identity()
    stamp = (str(path), path.stat().st_mtime_ns)
    with _lock:
        found = _cache.get("signer")
        if found is not None and found[0] == stamp:
            return found[1]
        loaded = signers.SimpleSigner.load_pkcs12(str(path), passphrase=_password())
        if loaded is None:
            raise SigningUnavailable("signing.bad_certificate", _(
                "The signing certificate cannot be opened: check SIGNING_PKCS12_PASSWORD."))
        _cache["signer"] = (stamp, loaded)
        return loaded


def certificate_fingerprint() -> str:
    return signer().signing_cert.sha256.hex()


def certificate_subject() -> str:
    return signer().signing_cert.subject.human_friendly


# -- the stamp -------------------------------------------------------------------------------------------
def _font(size: int):
    from PIL import ImageFont

    from app.core.printing.render import font_path

    path = font_path(current_app.config)
    return ImageFont.truetype(path, size, index=0) if path.endswith(".ttc") else ImageFont.truetype(path, size)


def stamp_image(lines: list[str], picture: bytes | None, width: float, height: float):
    """The stamp as an image: the signature picture (handwriting or seal) on the left, the lines beside it."""
    from PIL import Image, ImageDraw

    w, h = int(width * STAMP_SCALE), int(height * STAMP_SCALE)
    image = Image.new("RGBA", (w, h), (255, 255, 255, 0))
    left = 0
    if picture:
        shown = Image.open(io.BytesIO(picture)).convert("RGBA")
        shown.thumbnail((int(w * 0.42), h - 8))
        image.alpha_composite(shown, (4, (h - shown.height) // 2))
        left = int(w * 0.44)
    size = max(18, min(30, (h - 12) // max(len(lines), 1) - 6))
    font, draw = _font(size), ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        text = line
        while text and draw.textlength(text, font=font) > w - left - 8:
            text = text[:-1]
        draw.text((left + 4, 6 + number * (size + 6)), text, font=font, fill=(20, 20, 20, 255))
    return image


def sign_pdf(data: bytes, field_name: str, *args, **kwargs) -> bytes:
    """`data` with one more signature, in the field `field_name` (made in `box` on `page` when missing),
    appended as an incremental update with a visible stamp."""
    return _off_event_loop(_sign_pdf, data, field_name, *args, **kwargs)


def _sign_pdf(data: bytes, field_name: str, box: tuple[float, float, float, float], lines: list[str],
             picture: bytes | None = None, name: str = "", reason: str = "", location: str = "",
             page: int = -1) -> bytes:
    from pyhanko.pdf_utils import images
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    existing = {name_ for name_, _value, _ref in fields.enumerate_sig_fields(writer)}
    if field_name not in existing:
        fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=field_name, on_page=page,
                                                                  box=tuple(int(v) for v in box)))
    image = stamp_image(lines, picture, box[2] - box[0], box[3] - box[1])
    style = TextStampStyle(stamp_text="", background=images.PdfImage(image), background_opacity=1, border_width=0)
    meta = signers.PdfSignatureMetadata(field_name=field_name, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", name=name or None, reason=reason or None,
                                        location=location or None)
    out = io.BytesIO()
    signers.PdfSigner(meta, signer=signer(), stamp_style=style).sign_pdf(writer, output=out)
    return out.getvalue()


# -- the 签署记录 page ------------------------------------------------------------------------------------
@dataclass
class RecordPage:
    pdf: bytes
    boxes: list[tuple[float, float, float, float]]     # one per party, in their order


def record_page(title: str, facts: list[tuple[str, str]], parties: list[str]) -> RecordPage:
    """One A4 page: the title, the document's facts (code, parties, the SHA-256 of what is signed), then a box
    per party where their signature's stamp goes."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    from app.core.printing.render import font_path

    path = font_path(current_app.config)
    if "zwt-sign" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("zwt-sign", path, subfontIndex=0) if path.endswith(".ttc")
                                else TTFont("zwt-sign", path))
    buffer = io.BytesIO()
    width, height = A4
    page = canvas.Canvas(buffer, pagesize=A4)
    page.setTitle(title)
    page.setFont("zwt-sign", 18)
    page.drawCentredString(width / 2, height - 64, title)
    y = height - 100
    indent = 56 + max([pdfmetrics.stringWidth(f"{label}：", "zwt-sign", 10) for label, _v in facts] or [0]) + 8
    for label, value in facts:
        page.setFont("zwt-sign", 10)
        page.drawString(56, y, f"{label}：")
        line = ""
        for char in str(value or "") or " ":
            if pdfmetrics.stringWidth(line + char, "zwt-sign", 10) > width - 56 - indent:
                page.drawString(indent, y, line)
                line, y = "", y - 16
            line += char
        page.drawString(indent, y, line)
        y -= 16
    boxes = []
    y -= 12
    for party in parties:
        page.setFont("zwt-sign", 11)
        page.drawString(56, y, party)
        top = y - 8
        box = (56.0, top - 96, width - 56, top)
        page.setStrokeColorRGB(0.75, 0.75, 0.75)
        page.rect(box[0], box[1], box[2] - box[0], box[3] - box[1])
        boxes.append(box)
        y = box[1] - 24
    page.showPage()
    page.save()
    return RecordPage(buffer.getvalue(), boxes)


def with_page(document: bytes, page_pdf: bytes) -> bytes:
    """`document` with the pages of `page_pdf` added at its end (before anything is signed)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(document)))
    writer.append(PdfReader(io.BytesIO(page_pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# -- verification ------------------------------------------------------------------------------------------
@dataclass
class SignatureCheck:
    field: str
    name: str = ""
    reason: str = ""
    signed_at: dt.datetime | None = None
    signer: str = ""
    intact: bool = False          # the signed bytes are as they were signed
    valid: bool = False           # the cryptographic signature checks out
    ours: bool = False            # made with our organisation's certificate
    covers_all: bool = False      # nothing was changed after it but what signing allows (more signatures)
    problem: str = ""


@dataclass
class Verification:
    sha256: str
    is_pdf: bool = True
    signatures: list[SignatureCheck] = field(default_factory=list)
    problem: str = ""

    @property
    def unchanged(self) -> bool:
        """Signed, every signature intact and valid, and nothing changed after the last one."""
        return bool(self.signatures) and all(s.intact and s.valid and s.covers_all for s in self.signatures)

    @property
    def ours(self) -> bool:
        return bool(self.signatures) and all(s.ours for s in self.signatures)

    @property
    def verdict(self) -> str:
        if not self.is_pdf:
            return "not_pdf"
        if not self.signatures:
            return "unsigned"
        if not self.unchanged:
            return "changed"
        return "ours" if self.ours else "foreign"


def verify_pdf(data: bytes) -> Verification:
    """What `data` is: a PDF, which signatures it carries, whether each is intact and ours, and whether
    anything changed after them. Never raises on bad input."""
    return _off_event_loop(_verify_pdf, data)


def _verify_pdf(data: bytes) -> Verification:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    result = Verification(sha256=hashlib.sha256(data).hexdigest())
    if not data.lstrip()[:5] == b"%PDF-":
        result.is_pdf, result.problem = False, _("The file is not a PDF document.")
        return result
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception:   # noqa: BLE001 — any unreadable file is reported, not raised
        result.is_pdf, result.problem = False, _("The PDF cannot be read: it is damaged or not a PDF document.")
        return result
    try:
        ours_fingerprint = certificate_fingerprint()
        roots = [signer().signing_cert]
    except DomainError:
        ours_fingerprint, roots = "", []
    last = len(embedded) - 1
    for number, sig in enumerate(embedded):
        check = SignatureCheck(field=sig.field_name or "")
        try:
            check.name = str(sig.sig_object.get("/Name", "") or "")
            check.reason = str(sig.sig_object.get("/Reason", "") or "")
            status = validate_pdf_signature(sig, ValidationContext(trust_roots=roots, allow_fetching=False))
            check.intact, check.valid = bool(status.intact), bool(status.valid)
            check.signer = status.signing_cert.subject.human_friendly
            check.ours = status.signing_cert.sha256.hex() == ours_fingerprint and bool(status.trusted)
            check.signed_at = status.signer_reported_dt
            if number == last:
                check.covers_all = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
            else:
                check.covers_all = bool(status.docmdp_ok) and status.modification_level is not None and \
                    status.modification_level <= ModificationLevel.FORM_FILLING
        except Exception as exc:   # noqa: BLE001 — a broken signature is a finding, not a crash
            check.problem = str(exc)[:200]
        result.signatures.append(check)
    return result
