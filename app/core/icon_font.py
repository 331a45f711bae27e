"""The icons the app shows, cut out of Font Awesome: app/static/icons/icons.css and two small
fonts instead of FAB's four Font Awesome style sheets (about 130 KB) and its solid and regular
fonts (about 175 KB, which a first visit would download before any icon shows).

The app uses about a hundred of Font Awesome's two thousand icons: every `fa-…` name in the
app's templates, code and scripts and in FAB's. `icons_used()` finds them; `build()` writes the
style sheet (Font Awesome's own rules: the base classes, modifiers such as fa-fw and fa-spin,
and the rules of the icons used, FA 4 names included) and the fonts cut to those glyphs.

After adding an icon, run `python -m app.core.icon_font` (needs fonttools, a development
requirement); tests/core/test_icon_font.py fails while an icon in use is missing.
Font Awesome Free: icons CC BY 4.0, fonts SIL OFL 1.1, code MIT (kept in the style sheet's head).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import flask_appbuilder

APP = Path(__file__).resolve().parents[1]
FAB = Path(flask_appbuilder.__file__).resolve().parent
FA_CSS = FAB / "static/appbuilder/css/fontawesome"
FA_FONTS = FAB / "static/appbuilder/css/webfonts"
OUT = APP / "static/icons"
STYLE_SHEET = OUT / "icons.css"
FONTS = {"solid": ("fa-solid-900", 900), "regular": ("fa-regular-400", 400)}

# Where icon names are written; the generated style sheet and vendored libraries are not.
SOURCES = [(APP, ("*.html", "*.py", "*.js", "*.css")), (FAB / "templates", ("*.html",)), (FAB, ("*.py",))]
SKIPPED = (OUT, APP / "static/vendor")
NAME = re.compile(r"(?<![\w-])fa-([a-z0-9]+(?:-[a-z0-9]+)*)")
# `.fa-house:before` (Font Awesome 6) and `.fa.fa-bell-o`, `.fa.fa-bell-o:before` (its FA 4 names).
_ICON_SELECTOR = re.compile(r"^(?:\.fa-([a-z0-9-]+):before|\.fa\.fa-([a-z0-9-]+)(?::before)?)$")


def icons_used() -> set[str]:
    """Every `fa-…` name in the sources (modifiers such as fw and unknown names included)."""
    names: set[str] = set()
    for root, patterns in SOURCES:
        for pattern in patterns:
            for path in root.rglob(pattern):
                if any(path.is_relative_to(skipped) for skipped in SKIPPED):
                    continue
                names.update(NAME.findall(path.read_text(encoding="utf-8", errors="replace")))
    return names


@dataclass
class Rule:
    prelude: str
    body: str

    @property
    def text(self) -> str:
        return f"{self.prelude}{{{self.body}}}"

    def icon_names(self) -> list[str] | None:
        """The icons this rule is about, or None when it is no icon's rule (a base class, a
        modifier, a keyframe, an at-rule)."""
        if self.prelude.startswith("@"):
            return None
        names = []
        for selector in self.prelude.split(","):
            match = _ICON_SELECTOR.match(selector.strip())
            if match is None or not any(p in self.body for p in ("content:", "font-family:", "font-weight:")):
                return None
            names.append(match.group(1) or match.group(2))
        return names


def rules(css: str) -> list[Rule]:
    """The top-level rules of a style sheet (at-rules with their nested blocks whole)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    out, depth, start, brace = [], 0, 0, 0
    for i, ch in enumerate(css):
        if ch == "{":
            if depth == 0:
                brace = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                out.append(Rule(css[start:brace].strip(), css[brace + 1:i]))
                start = i + 1
    return out


def icon_rules(css: str) -> dict[str, list[Rule]]:
    """{icon name: the rules that draw it} of a Font Awesome style sheet."""
    found: dict[str, list[Rule]] = {}
    for rule in rules(css):
        for name in rule.icon_names() or []:
            found.setdefault(name, []).append(rule)
    return found


def _fa_sheets() -> tuple[str, str]:
    return ((FA_CSS / "fontawesome.min.css").read_text(encoding="utf-8"),
            (FA_CSS / "v4-shims.min.css").read_text(encoding="utf-8"))


def known_icons() -> set[str]:
    """Every icon name Font Awesome (with its FA 4 names) can draw with the free fonts."""
    base, shims = _fa_sheets()
    known = set(icon_rules(base))
    known.update(name for name, found in icon_rules(shims).items() if not any("Brands" in r.body for r in found))
    return known


def _kept(css: str, wanted: set[str]) -> list[str]:
    """The rules of a sheet that are no icon's, and the icon rules narrowed to wanted icons;
    rules that need the brands font are left out (the app shows no brand logos)."""
    out = []
    for rule in rules(css):
        names = rule.icon_names()
        if names is None:
            out.append(rule.text)
            continue
        if "Brands" in rule.body:
            continue
        selectors = [s for s, n in zip(rule.prelude.split(","), names) if n in wanted]
        if selectors:
            out.append(f"{','.join(s.strip() for s in selectors)}{{{rule.body}}}")
    return out


def style_sheet(wanted: set[str]) -> tuple[str, set[int]]:
    """The style sheet for the wanted icons, and the code points its fonts must hold."""
    base, shims = _fa_sheets()
    head = re.match(r"\s*(/\*!.*?\*/)", base, re.S).group(1)
    body = _kept(base, wanted) + _kept(shims, wanted)
    points = {int(cp, 16) for rule in body for cp in re.findall(r'content:"\\([0-9a-f]+)"', rule)}
    faces = []
    for style, (font, weight) in FONTS.items():
        faces.append(
            f":host,:root{{--fa-font-{style}:normal {weight} 1em/1 \"Font Awesome 6 Free\"}}"
            f"@font-face{{font-family:\"Font Awesome 6 Free\";font-style:normal;font-weight:{weight};"
            f"font-display:block;src:url({font}.woff2) format(\"woff2\")}}"
            f".fa-{style},.fa{style[0]}{{font-weight:{weight}}}")
    text = "\n".join([head, ":host,:root{--fa-style-family-classic:\"Font Awesome 6 Free\"}", *faces,
                      "".join(body)]) + "\n"
    return text, points


def build(out: Path = OUT) -> dict[str, int]:
    """Write icons.css and the fonts cut to the icons used; returns {file: bytes}."""
    from fontTools import subset

    wanted = icons_used() & known_icons()
    text, points = style_sheet(wanted)
    out.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for font, _weight in FONTS.values():
        options = subset.Options()
        options.flavor = "woff2"
        options.layout_features = ["*"]
        options.hinting = False
        options.desubroutinize = True
        source = subset.load_font(str(FA_FONTS / f"{font}.ttf"), options, dontLoadGlyphNames=True)
        source.recalcTimestamp = False
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=points)
        subsetter.subset(source)
        target = out / f"{font}.woff2"
        subset.save_font(source, str(target), options)
        sizes[target.name] = target.stat().st_size
    (out / "icons.css").write_text(text, encoding="utf-8")
    sizes["icons.css"] = len(text.encode())
    return sizes


if __name__ == "__main__":
    for name, size in build().items():
        print(f"{size:>8,} B  {OUT.relative_to(APP.parent) / name}")
