"""Turning a print template (HTML + CSS, Jinja syntax) and a record into a PDF.

Templates are written by admins in the browser, so they run in Jinja's immutable sandbox with
no loader (no include, import or extends: nothing from the file system), without Jinja's
cycler / joiner / namespace / lipsum globals, and with undefined names failing loudly: a
template sees only the plain values it is handed (the record's columns and its relations'
columns, never an ORM object, the app, its config or the request). xhtml2pdf then draws the
HTML with a Chinese font embedded in the file, and may read nothing but that font: no file,
no network address (images come as data: URIs).
"""
from __future__ import annotations

import datetime as dt
import io
import os
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import gettext as _
from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Fonts reportlab can embed (TrueType outlines); the first that exists is used. The set-up
# scripts install fonts-wqy-microhei; PDF_FONT_PATH names another.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
FONT_FAMILY = "zwtcjk"
FONT_URI = "zwt-font:cjk"
MAX_RENDER_SECONDS = 60


class TemplateProblem(ValueError):
    """A template that does not compile or fails while rendering; `line` when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class FontMissing(RuntimeError):
    pass


# -- filters ------------------------------------------------------------------------------------
_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_PLACES = ("仟", "佰", "拾", "")
_SECTIONS = ("", "万", "亿", "万亿")
RMB_MAX = Decimal(10) ** 16      # Numeric(18, 2): sixteen places before the point


def to_decimal(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not an amount.", value=value)) from None


def rmb_upper(value) -> str:
    """An amount in Chinese capital numerals as written on contracts and cheques (人民币大写):
    12345.67 → 壹万贰仟叁佰肆拾伍元陆角柒分, 100 → 壹佰元整, 0 → 零元整, -5.5 → 负伍元伍角.
    Rounded half up at 0.01; up to sixteen places before the point."""
    if value is None or value == "":
        return ""
    amount = to_decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if abs(amount) >= RMB_MAX:
        raise ValueError(_("The amount is too large to be written in Chinese capitals."))
    sign = "负" if amount < 0 else ""
    cents = int(abs(amount) * 100)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    out, zero = "", False
    digits = str(yuan).zfill(16) if yuan else ""
    for g in range(len(digits) // 4):
        group = digits[g * 4:g * 4 + 4]
        for place, digit in zip(_PLACES, group):
            if digit == "0":
                zero = bool(out)
                continue
            out += ("零" if zero else "") + _DIGITS[int(digit)] + place
            zero = False
        if int(group):
            out += _SECTIONS[3 - g]
    if yuan:
        out += "元"
    if jiao == 0 and fen == 0:
        return sign + out + "整"
    if jiao:
        out += _DIGITS[jiao] + "角"
    elif yuan:
        out += "零"
    if fen:
        out += _DIGITS[fen] + "分"
    return sign + out


def money(value, places: int = 2) -> str:
    """1234567.8 → 1,234,567.80 (half up)."""
    if value is None or value == "":
        return ""
    places = max(0, min(int(places), 6))
    amount = to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return f"{amount:,.{places}f}"


def chinese_date(value, pattern: str = "%Y年%m月%d日") -> str:
    """A date (or a time, shown in China's time zone) as 2026年01月05日, or by `pattern`."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    if not isinstance(value, (dt.date, dt.datetime)):
        return str(value)
    pattern = str(pattern)[:40]
    return value.strftime(pattern)


def chinese_datetime(value, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return chinese_date(value, pattern)


def _local(value: dt.datetime) -> dt.datetime:
    from zoneinfo import ZoneInfo

    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(ZoneInfo("Asia/Shanghai"))


def number(value) -> str:
    """A quantity or a rate without trailing zeros: 2.5000 → 2.5, 13.00 → 13."""
    if value is None or value == "":
        return ""
    figure = to_decimal(value).normalize()
    return f"{figure:f}"


FILTERS = {"rmb_upper": rmb_upper, "money": money, "date": chinese_date, "datetime": chinese_datetime,
           "number": number}


# -- the sandbox --------------------------------------------------------------------------------
def _finalize(value):
    return "" if value is None else value


class PrintEnvironment(ImmutableSandboxedEnvironment):
    """No loader, no gadgets: what a template can reach is what it is handed."""

    def __init__(self):
        super().__init__(loader=None, autoescape=True, undefined=StrictUndefined, finalize=_finalize,
                         extensions=[])
        for name in ("cycler", "joiner", "namespace", "lipsum", "dict"):
            self.globals.pop(name, None)
        self.filters.update(FILTERS)

    # Arithmetic that would take the worker's memory or time: 'x' * 10**9, 9 ** 9 ** 9.
    intercepted_binops = frozenset(["*", "**"])

    def call_binop(self, context, operator, left, right):
        if operator == "**":
            too_big = isinstance(left, int) and abs(left).bit_length() > 128
            if too_big or (isinstance(right, (int, float)) and abs(right) > 100):
                raise SecurityError(_("Powers above 100 are not allowed in templates."))
            return left ** right
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and len(seq) * times > 100_000:
                raise SecurityError(_("The template builds a text longer than 100,000 characters."))
        return left * right

    def is_safe_attribute(self, obj, attr, value):
        # Beyond the sandbox's own rules: nothing that starts with an underscore, and no
        # callables found on values other than plain data (str.format and the like stay usable).
        if attr.startswith("_"):
            return False
        return super().is_safe_attribute(obj, attr, value)


_env = None


def environment() -> PrintEnvironment:
    global _env
    if _env is None:
        _env = PrintEnvironment()
    return _env


_FORBIDDEN_TAGS = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)


def check_template(body: str):
    """Compile `body`; raises TemplateProblem with the line number when it cannot be."""
    env = environment()
    try:
        tree = env.parse(body)
    except TemplateSyntaxError as error:
        raise TemplateProblem(_("The template does not compile: line %(line)s: %(message)s",
                                line=error.lineno, message=error.message), error.lineno) from None
    for node in tree.find_all(_FORBIDDEN_TAGS):
        raise TemplateProblem(_("Line %(line)s: templates cannot include, import or extend other files.",
                                line=node.lineno), node.lineno)
    try:
        return env.from_string(tree)
    except TemplateSyntaxError as error:
        raise TemplateProblem(_("The template does not compile: line %(line)s: %(message)s",
                                line=error.lineno, message=error.message), error.lineno) from None


def _error_line(error: BaseException) -> int | None:
    tb = error.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def render_html(body: str, context: dict) -> str:
    """The template filled in; TemplateProblem (with a line when known) when it fails."""
    template = check_template(body)
    try:
        return template.render(**context)
    except SecurityError as error:
        line = _error_line(error)
        raise TemplateProblem(_("Line %(line)s: the template asked for something templates may not use (%(detail)s).",
                                line=line or "?", detail=str(error)[:200]), line) from None
    except UndefinedError as error:
        line = _error_line(error)
        raise TemplateProblem(_("Line %(line)s: %(detail)s", line=line or "?", detail=str(error)[:200]), line) from None
    except (TemplateError, ValueError, TypeError, ArithmeticError, LookupError, OverflowError) as error:
        line = _error_line(error)
        raise TemplateProblem(_("Line %(line)s: the template failed: %(detail)s",
                                line=line or "?", detail=str(error)[:200]), line) from None


# -- HTML → PDF ---------------------------------------------------------------------------------
def font_path(config=None) -> str:
    configured = (config or {}).get("PDF_FONT_PATH") or os.environ.get("PDF_FONT_PATH")
    for path in ([configured] if configured else []) + list(FONT_CANDIDATES):
        if path and os.path.isfile(path):
            return path
    raise FontMissing(_("No Chinese font for PDF documents is installed (fonts-wqy-microhei, or set PDF_FONT_PATH)."))


def html_to_pdf(html: str, config=None) -> bytes:
    """Draw `html` as a PDF with the Chinese font embedded. The document may read the font and
    data: URIs only."""
    from xhtml2pdf import default as pisa_default, pisa
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    font = font_path(config)
    font_dir = os.path.dirname(font)

    def link_callback(uri, _rel):
        if uri == FONT_URI:
            return font
        if uri.startswith("data:"):
            return uri
        return ""

    policy = ResourceAccessPolicy.server(base_dir=font_dir, allow_remote=False, max_render_seconds=MAX_RENDER_SECONDS)
    css = (pisa_default.DEFAULT_CSS
           + f"\n@font-face {{ font-family: {FONT_FAMILY}; src: url('{FONT_URI}'); }}\n"
           + f"@font-face {{ font-family: {FONT_FAMILY}; src: url('{FONT_URI}'); font-weight: bold; }}\n"
           + f"html, body, p, div, span, td, th, h1, h2, h3, h4, h5, h6, li, b, strong {{ font-family: {FONT_FAMILY}; }}\n")
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, link_callback=link_callback, encoding="utf-8", default_css=css,
                            resource_policy=policy, raise_exception=False)
    if result.err:
        raise TemplateProblem(_("The document could not be drawn as a PDF (%(count)s errors).", count=result.err))
    return out.getvalue()


def render_pdf(body: str, context: dict, config=None) -> bytes:
    return html_to_pdf(render_html(body, context), config)
