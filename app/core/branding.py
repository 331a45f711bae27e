"""The company's name and logo, set by an admin, shown in the sidebar, the login page and the title.

Both are site settings (app/core/preferences.py): "company_name" holds the name, "company_logo"
the image in `data` and its content type in `value`. The logo is served from /branding/logo
with a fingerprint of its version in the URL, so browsers keep it until it changes.

A logo is accepted by what the file is, never by its name: PNG, JPEG and WebP by their
signatures, SVG only when it is well-formed SVG that cannot run a script or fetch anything
(no script elements, no on… handlers, no javascript: URLs, no references other than to its own
parts, no DOCTYPE or entities).
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import xml.etree.ElementTree as ElementTree

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _, lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select

from app.core import assets
from app.core.datamodel import current_actor
from app.core.errors import DomainError
from app.core.preferences import SiteSetting, get_setting_row, set_setting, site_settings
from app.core.transaction import unit_of_work
from app.extensions import db

NAME_KEY = "company_name"
LOGO_KEY = "company_logo"
NAME_MAX = 40
LOGO_MAX_BYTES = 200 * 1024
LOGO_TYPES = ("image/png", "image/jpeg", "image/svg+xml", "image/webp")
FORMAT_NAMES = {"png": "PNG", "jpeg": "JPEG", "svg": "SVG", "webp": "WebP"}

_SVG_FORBIDDEN_TAGS = {"script", "foreignobject", "iframe", "embed", "object", "audio", "video", "handler",
                       "listener", "set", "animate"}
_SVG_URL = re.compile(r"url\(\s*['\"]?\s*([^'\")\s]*)", re.IGNORECASE)


def _version(row: SiteSetting) -> str:
    return hashlib.sha256(f"{row.key}:{row.changed_at.isoformat()}:{row.value}".encode()).hexdigest()[:12]


def _stored() -> dict:
    """The stored name and logo version of the site, read once per request."""
    cached = getattr(g, "_zwt_branding", None)
    if cached is not None:
        return cached
    settings = site_settings()   # kept per process, invalidated through Redis on a change
    stored = {}
    for key in (NAME_KEY, LOGO_KEY):
        if key in settings:
            value, changed_at = settings[key]
            stored[key] = SiteSetting(key=key, value=value, changed_at=changed_at)
    g._zwt_branding = stored
    return stored


def default_name() -> str:
    return str(current_app.appbuilder.app_name or current_app.config.get("APP_NAME") or "")


def company_name() -> str:
    """The company's name as an admin set it (the app's name otherwise); usable outside a request."""
    name_row = _stored().get(NAME_KEY)
    return (json.loads(name_row.value) if name_row is not None else None) or default_name()


def branding() -> dict:
    """{"name": company name, "logo_url": URL or None} for templates."""
    logo_row = _stored().get(LOGO_KEY)
    name = company_name()
    logo_url = url_for("BrandingView.logo", v=_version(logo_row)) if logo_row is not None else None
    return {"name": name, "logo_url": logo_url}


# -- rules -------------------------------------------------------------------------------------
def clean_name(raw) -> str:
    """The name as it is kept: trimmed, 1 to 40 characters, no control characters."""
    name = " ".join(str(raw or "").split())
    if not name or len(name) > NAME_MAX:
        raise DomainError("branding.name_length", _("The company name must be 1 to %(max)d characters.", max=NAME_MAX),
                          field="name")
    if any(unicodedata.category(ch) in ("Cc", "Cf") for ch in name):
        raise DomainError("branding.name_characters", _("The company name contains characters that cannot be shown."),
                          field="name")
    return name


def logo_type(data: bytes) -> str:
    """The content type of an acceptable logo, judged by its bytes; DomainError otherwise."""
    if not data:
        raise DomainError("branding.logo_empty", _("The logo file is empty."), field="logo")
    if len(data) > LOGO_MAX_BYTES:
        raise DomainError("branding.logo_size", _("The logo may be at most %(kb)d KB.", kb=LOGO_MAX_BYTES // 1024),
                          field="logo")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if _looks_like_svg(data):
        check_svg(data)
        return "image/svg+xml"
    raise DomainError("branding.logo_type", _("The logo must be a PNG, JPEG, SVG or WebP image."), field="logo")


def _looks_like_svg(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in data.lower()


def check_svg(data: bytes) -> None:
    """Refuse an SVG that could run a script, fetch something or expand entities."""
    unsafe = DomainError("branding.logo_svg", _("This SVG contains scripts, event handlers or references to other "
                                                "files and cannot be used as a logo."), field="logo")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DomainError("branding.logo_type", _("The logo must be a PNG, JPEG, SVG or WebP image."),
                          field="logo") from None
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered or "javascript:" in lowered or "@import" in lowered:
        raise unsafe
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise DomainError("branding.logo_type", _("The logo must be a PNG, JPEG, SVG or WebP image."),
                          field="logo") from None
    if _local(root.tag) != "svg":
        raise DomainError("branding.logo_type", _("The logo must be a PNG, JPEG, SVG or WebP image."), field="logo")
    for element in root.iter():
        if _local(element.tag).lower() in _SVG_FORBIDDEN_TAGS:
            raise unsafe
        for attr, value in element.attrib.items():
            name = _local(attr).lower()
            if name.startswith("on"):
                raise unsafe
            if name in ("href", "src") and not value.strip().startswith("#"):
                raise unsafe
            if any(not ref.startswith("#") for ref in _SVG_URL.findall(value)):
                raise unsafe
        if _local(element.tag).lower() == "style" and any(not ref.startswith("#") for ref in _SVG_URL.findall(element.text or "")):
            raise unsafe


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def set_branding(actor, name, logo: bytes | None) -> None:
    """Store the company's name and, when given, its logo; both are checked before anything is
    stored, so a refused logo leaves the name unchanged too."""
    name = clean_name(name)
    content_type = logo_type(logo) if logo is not None else None
    with unit_of_work(actor):
        set_setting(NAME_KEY, name)
        if content_type is not None:
            set_setting(LOGO_KEY, content_type, data=logo)


def remove_logo(actor) -> None:
    """Back to the default mark (the name's first character)."""
    with unit_of_work(actor):
        row = get_setting_row(LOGO_KEY)
        if row is not None:
            db.session.delete(row)


# -- screens -----------------------------------------------------------------------------------
def _logo_help() -> Markup:
    """The upload's help text, its format names marked as names (they are the same in every
    language)."""
    formats = Markup(escape(_("%(png)s, %(jpeg)s, %(svg)s or %(webp)s", png="{png}", jpeg="{jpeg}", svg="{svg}",
                              webp="{webp}")))
    text = Markup(escape(_("%(formats)s, at most %(kb)dKB; a square image looks best. Leave empty to keep the "
                           "current logo.", formats="{formats}", kb=LOGO_MAX_BYTES // 1024)))
    for key, label in FORMAT_NAMES.items():
        formats = formats.replace("{%s}" % key, Markup("<code>%s</code>") % label)
    return text.replace("{formats}", formats)


class BrandingView(BaseView):
    """系统管理 › 公司名称与标志: the admin's screen, and the logo itself for every page."""

    route_base = "/branding"
    default_view = "edit"
    class_permission_name = "branding"
    method_permission_name = {"edit": "read", "save": "write", "reset": "write"}
    base_permissions = ["can_read", "can_write"]

    def _page(self, errors=None, name=None, status=200):
        brand = branding()
        return self.render_template("zwt/branding.html", current=brand, logo_help=_logo_help(), errors=errors or {},
                                    name=brand["name"] if name is None else name, default_name=default_name(),
                                    max_name=NAME_MAX, max_kb=LOGO_MAX_BYTES // 1024,
                                    title=_("Company name and logo")), status

    @expose("/", methods=["GET"])
    @has_access
    def edit(self):
        return self._page()

    @expose("/", methods=["POST"])
    @has_access
    def save(self):
        upload = request.files.get("logo")
        logo = None
        if upload is not None and upload.filename:
            logo = upload.stream.read(LOGO_MAX_BYTES + 1)
        try:
            set_branding(current_actor(), request.form.get("name", ""), logo)
        except DomainError as error:
            return self._page(errors={error.field or "name": error.message}, name=request.form.get("name", ""),
                              status=400)
        g.pop("_zwt_branding", None)
        flash(_("The company name and logo were saved."), "success")
        return redirect(url_for("BrandingView.edit"))

    @expose("/reset", methods=["POST"])
    @has_access
    def reset(self):
        remove_logo(current_actor())
        g.pop("_zwt_branding", None)
        flash(_("The logo was removed; pages show the default mark again."), "success")
        return redirect(url_for("BrandingView.edit"))

    @expose("/logo", methods=["GET"])
    def logo(self):
        """The logo, for anyone (the login page shows it too)."""
        row = get_setting_row(LOGO_KEY)
        content_type = json.loads(row.value) if row is not None and row.data else None
        if content_type not in LOGO_TYPES:
            abort(404)
        version = _version(row)
        response = current_app.response_class(row.data, mimetype=content_type)
        response.set_etag(version)
        response.headers["Cache-Control"] = assets.cache_control(request.args.get("v") == version)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Disposition"] = "inline"
        return response.make_conditional(request)


def register_views(appbuilder) -> None:
    """Add the admin screen that sets the company's name and logo."""
    from app.core.system import SYSTEM

    appbuilder.add_view(BrandingView, "menu:branding", label=_l("Company name and logo"), icon="fa-building",
                        category="menu:system", category_label=SYSTEM)
    current_app.jinja_env.globals["zwt_branding"] = branding
