"""Static assets: fingerprinted URLs, long cache lifetimes and compressed responses.

- Every `url_for('static', filename=…)` and `url_for('<blueprint>.static', filename=…)` (FAB's
  templates call `url_for('appbuilder.static', …)` themselves) gets `?v=<fingerprint>`, the
  first 12 hex digits of the SHA-256 of what the file serves. A browser keeps a response whose
  `v` is the file's fingerprint for a year without asking again; without `v`, or with a stale
  one, for five minutes; either way ETags answer its conditional requests with 304.
- Style sheets are served with their relative `url(…)` and `@import` references fingerprinted
  too, so the fonts and images they name (FAB's Font Awesome fonts) are kept as long as they are.
- Text assets are read once and kept in memory, compressed once per encoding (brotli, gzip).
  Pages, JSON and CSV are compressed by Flask-Compress as they are sent; a streamed response
  (a CSV export) is compressed chunk by chunk and keeps streaming. Already compressed types
  (fonts in WOFF2, images, XLSX) are sent as they are.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import mimetypes
import os
import posixpath
import re
import threading
from dataclasses import dataclass, field

from flask import abort, current_app, has_request_context, request, send_file
from werkzeug.security import safe_join

try:
    import brotli
except ImportError:  # gzip alone still does most of the work
    brotli = None

log = logging.getLogger(__name__)

FINGERPRINT_ARG = "v"
FINGERPRINT_LENGTH = 12
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"
MIN_COMPRESS_BYTES = 500
# Text files above this size are streamed from disk rather than kept in memory (Swagger's bundle).
MAX_IN_MEMORY_BYTES = 1024 * 1024

# The same types whatever the machine's /etc/mime.types says.
TYPES = {
    ".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript", ".json": "application/json",
    ".map": "application/json", ".svg": "image/svg+xml", ".html": "text/html", ".txt": "text/plain",
    ".ico": "image/vnd.microsoft.icon", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".woff2": "font/woff2", ".woff": "font/woff",
    ".ttf": "font/ttf", ".otf": "font/otf", ".eot": "application/vnd.ms-fontobject",
}
# What compression makes smaller; WOFF2, PNG, JPEG, WebP, XLSX and archives are compressed already.
COMPRESSIBLE = [
    "text/html", "text/css", "text/plain", "text/csv", "text/xml", "text/javascript", "application/javascript",
    "application/json", "application/problem+json", "application/manifest+json", "application/xml",
    "image/svg+xml", "image/vnd.microsoft.icon", "image/x-icon", "font/ttf", "font/otf",
    "application/vnd.ms-fontobject",
]
ENCODINGS = ["br", "gzip"] if brotli is not None else ["gzip"]

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")\s]+)\1\s*\)|@import\s+(['"])([^'"]+)\3""")


def mimetype_of(filename: str) -> str:
    ext = posixpath.splitext(filename)[1].lower()
    return TYPES.get(ext) or mimetypes.guess_type(filename)[0] or "application/octet-stream"


def fingerprint_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:FINGERPRINT_LENGTH]


def compress(data: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        return brotli.compress(data, quality=11)
    if encoding == "gzip":
        return gzip.compress(data, 9, mtime=0)
    return data


def chosen_encoding(mimetype: str, size: int) -> str | None:
    """The encoding this request's Accept-Encoding prefers among ours, for a body of this kind."""
    if mimetype not in COMPRESSIBLE or size < MIN_COMPRESS_BYTES:
        return None
    return request.accept_encodings.best_match(ENCODINGS)


def cache_control(fresh: bool) -> str:
    """A year, immutable, for a URL naming its content's fingerprint; five minutes otherwise."""
    return LONG_CACHE if fresh else SHORT_CACHE


@dataclass
class Asset:
    path: str
    mimetype: str
    fingerprint: str
    mtime: float
    size: int
    body: bytes | None  # None: served from disk
    encoded: dict = field(default_factory=dict)

    def body_for(self, encoding: str | None) -> bytes:
        if encoding is None:
            return self.body
        if encoding not in self.encoded:
            self.encoded[encoding] = compress(self.body, encoding)
        return self.encoded[encoding]


class StaticAssets:
    """The files behind every static endpoint of an app, with their fingerprints, read lazily
    and kept (looked at again when they change on disk only in debug mode)."""

    def __init__(self, app):
        self.app = app
        self.folders: dict[str, str] = {}
        if app.has_static_folder and "static" in app.view_functions:
            self.folders["static"] = os.path.normpath(app.static_folder)
        for name, blueprint in app.blueprints.items():
            endpoint = f"{name}.static"
            if blueprint.has_static_folder and endpoint in app.view_functions:
                self.folders[endpoint] = os.path.normpath(blueprint.static_folder)
        self._assets: dict[str, Asset] = {}
        self._fingerprints: dict[tuple[str, str], str] = {}
        self._lock = threading.RLock()

    def get(self, endpoint: str, filename: str) -> Asset | None:
        folder = self.folders.get(endpoint)
        path = safe_join(folder, filename) if folder else None
        if path is None or not os.path.isfile(path):
            return None          # misses are not kept: request paths are the client's to invent
        return self._asset(path, folder, frozenset())

    def fingerprint(self, endpoint: str, filename: str) -> str | None:
        """The file's fingerprint for its URL; kept by name outside debug mode (a page names
        thirty files: without it, thirty looks at the disk)."""
        if not self.app.debug:
            known = self._fingerprints.get((endpoint, filename))
            if known is not None:
                return known
        asset = self.get(endpoint, filename)
        if asset is None:
            return None
        if not self.app.debug:
            self._fingerprints[(endpoint, filename)] = asset.fingerprint
        return asset.fingerprint

    def _asset(self, path: str, folder: str, loading: frozenset) -> Asset:
        """The file at `path` (one entry per file, however the URL spelled its name)."""
        asset = self._assets.get(path)
        if asset is None or (self.app.debug and self._changed(asset)):
            with self._lock:
                asset = self._assets[path] = self._load(path, folder, loading)
        return asset

    @staticmethod
    def _changed(asset: Asset) -> bool:
        try:
            stat = os.stat(asset.path)
        except OSError:
            return True
        return stat.st_mtime != asset.mtime or stat.st_size != asset.size

    def _load(self, path: str, folder: str, loading: frozenset) -> Asset:
        stat = os.stat(path)
        mimetype = mimetype_of(path)
        keep = mimetype in COMPRESSIBLE and stat.st_size <= MAX_IN_MEMORY_BYTES
        with open(path, "rb") as fh:
            data = fh.read() if keep else None
            digest = fingerprint_of(data) if keep else hashlib.file_digest(fh, "sha256").hexdigest()[:FINGERPRINT_LENGTH]
        if keep and mimetype == "text/css":
            data = self._fingerprint_references(path, folder, data, loading | {path})
            digest = fingerprint_of(data)
        return Asset(path=path, mimetype=mimetype, fingerprint=digest, mtime=stat.st_mtime, size=stat.st_size,
                     body=data)

    def _fingerprint_references(self, path: str, folder: str, css: bytes, loading: frozenset) -> bytes:
        """The style sheet with `?v=<fingerprint>` on every file of its static folder it names."""
        base = os.path.dirname(path)

        def fingerprinted(match: re.Match) -> str:
            ref = match.group(2) or match.group(4)
            if ref.startswith(("data:", "http:", "https:", "//", "/", "#")):
                return match.group(0)
            name, _, fragment = ref.partition("#")
            name = name.split("?", 1)[0]
            target = os.path.normpath(os.path.join(base, name))
            if (not target.startswith(os.path.join(folder, "")) or target in loading
                    or not os.path.isfile(target)):
                return match.group(0)
            asset = self._asset(target, folder, loading)
            new = f"{name}?{FINGERPRINT_ARG}={asset.fingerprint}" + (f"#{fragment}" if fragment else "")
            return match.group(0).replace(ref, new, 1)

        return _CSS_URL.sub(fingerprinted, css.decode("utf-8")).encode("utf-8")

    def response(self, endpoint: str, filename: str):
        asset = self.get(endpoint, filename)
        if asset is None:
            abort(404)
        fresh = request.args.get(FINGERPRINT_ARG) == asset.fingerprint
        if asset.body is None:
            response = send_file(asset.path, mimetype=asset.mimetype, etag=asset.fingerprint, max_age=None,
                                 conditional=True)
        else:
            encoding = chosen_encoding(asset.mimetype, len(asset.body))
            response = current_app.response_class(asset.body_for(encoding), mimetype=asset.mimetype)
            if encoding:
                response.headers["Content-Encoding"] = encoding
            response.set_etag(asset.fingerprint + (f"-{encoding}" if encoding else ""))
            response.last_modified = asset.mtime
            response.make_conditional(request)
        response.headers["Cache-Control"] = cache_control(fresh)
        return response


def install(app) -> None:
    """Set up asset fingerprints, cache headers and compression on `app`."""
    assets = StaticAssets(app)
    app.extensions["zwt_assets"] = assets

    def _serve(endpoint):
        def serve_static(filename):
            return assets.response(endpoint, filename)

        return serve_static

    for endpoint in assets.folders:
        app.view_functions[endpoint] = _serve(endpoint)

    @app.url_defaults
    def _add_fingerprint(endpoint, values):
        if endpoint in assets.folders and "filename" in values and FINGERPRINT_ARG not in values:
            fingerprint = assets.fingerprint(endpoint, values["filename"])
            if fingerprint:
                values[FINGERPRINT_ARG] = fingerprint

    _install_compression(app)
    _install_static_url_for(app, assets)


def _install_static_url_for(app, assets: StaticAssets) -> None:
    """The templates' url_for keeps the address of each static file (a page names thirty; each
    took Werkzeug's URL builder): the same for every request under the same script root.
    Outside debug mode only, where a file's fingerprint does not change."""
    plain = app.jinja_env.globals["url_for"]
    known: dict = {}

    def url_for(endpoint, **values):
        if app.debug or endpoint not in assets.folders or len(values) != 1 or "filename" not in values \
                or not has_request_context():
            return plain(endpoint, **values)
        key = (request.script_root, endpoint, values["filename"])
        found = known.get(key)
        if found is None:
            found = plain(endpoint, **values)
            if len(known) < 10_000:
                known[key] = found
        return found

    app.jinja_env.globals["url_for"] = url_for


_KEEP_AS_WRITTEN = re.compile(rb"(<(pre|textarea)\b.*?</\2\s*>)", re.S | re.I)
_INDENT = re.compile(rb"\n[ \t\r\n]+")


def squeeze_html(data: bytes) -> bytes:
    """A page without the templates' indentation and blank lines (a tenth of a list page):
    every run of white space that starts a line becomes one line break, except inside <pre>
    and <textarea>, whose text is shown as written."""
    parts = _KEEP_AS_WRITTEN.split(data)
    out = []
    # split() gives: text, whole kept element, its tag name, text, …
    for index in range(0, len(parts), 3):
        out.append(_INDENT.sub(b"\n", parts[index]))
        if index + 1 < len(parts):
            out.append(parts[index + 1])
    return b"".join(out)


def _squeeze(response):
    if (response.mimetype == "text/html" and not response.direct_passthrough and not response.is_streamed
            and "Content-Encoding" not in response.headers):
        response.set_data(squeeze_html(response.get_data()))
    return response


def _install_compression(app) -> None:
    try:
        from flask_compress import Compress
    except ImportError:
        log.warning("Flask-Compress is not installed: pages are sent uncompressed")
        app.after_request_funcs.setdefault(None, []).insert(0, _squeeze)
        return
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSIBLE)
    app.config.setdefault("COMPRESS_MIN_SIZE", MIN_COMPRESS_BYTES)
    app.config.setdefault("COMPRESS_ALGORITHM", ENCODINGS)
    # Streams (exports) are compressed chunk by chunk with gzip, which sends its first bytes
    # after a few dozen KB; brotli would hold back its whole window (4 MB) first.
    app.config.setdefault("COMPRESS_STREAMS", True)
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["gzip"])
    # Static files are compressed above, once.
    app.config.setdefault("COMPRESS_STREAMING_ENDPOINT_CONDITIONAL", [])
    # The API's ETag is the record's version ("17"), sent back as If-Match; Flask-Compress would
    # make it "17:gzip". Pages and API answers keep the ETag their view gave them, and are not
    # turned into 304s here (static files answer conditional requests themselves).
    app.config.setdefault("COMPRESS_EVALUATE_CONDITIONAL_REQUEST", False)
    app.config["COMPRESS_REGISTER"] = False
    compress = Compress(app)

    def compress_response(response):
        etag = response.headers.get("ETag")
        response = compress.after_request(_squeeze(response))
        if etag is not None:
            response.headers["ETag"] = etag
        return response

    # Flask runs after-request hooks last registered first: the first registered sees the final
    # body, after every hook that reads or rewrites it (API error messages, the OpenAPI spec).
    app.after_request_funcs.setdefault(None, []).insert(0, compress_response)
