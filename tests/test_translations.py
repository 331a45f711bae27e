"""The message catalogues are complete, current and compiled, and the app really speaks them.

When one of these fails, run `translations/update.sh`, translate what it lists as TODO in
translations/zh_CN/LC_MESSAGES/messages.po (glossary: ../shared/GLOSSARY.md), and run the script
again so the .mo files match.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
LOCALES = ("zh_CN", "en")
FIX = "run translations/update.sh, translate the new entries in zh_CN, then run it again"

# %s, %d, %(name)s ... as Python's %-formatting reads them.
_PLACEHOLDER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def _po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def _read_po(path: Path):
    with open(path, "rb") as fh:
        return read_po(fh)


def _key(message) -> tuple:
    """(context, msgid) with a plural message keyed by its singular."""
    msgid = message.id if isinstance(message.id, str) else message.id[0]
    return message.context, msgid


def _show(key: tuple) -> str:
    context, msgid = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def _strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


# -- (a) every message of the Chinese catalogue is translated ---------------------------------
def test_zh_cn_catalogue_is_fully_translated():
    catalog = _read_po(_po_path("zh_CN"))
    problems = []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {_show(_key(message))}")
        elif not all(s.strip() for s in _strings(message)):
            problems.append(f"untranslated: {_show(_key(message))}")
    assert not problems, f"{len(problems)} zh_CN message(s) need work ({FIX}):\n" + "\n".join(problems)


def test_zh_cn_translations_keep_placeholders():
    catalog = _read_po(_po_path("zh_CN"))
    problems = []
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        wanted = sorted(_PLACEHOLDER.findall(ids[-1]))
        for translation in _strings(message):
            if translation and sorted(_PLACEHOLDER.findall(translation)) != wanted:
                problems.append(f"{_show(_key(message))} -> {translation!r}: expected placeholders {wanted}")
    # Babel's own check: python-format consistency, plural count.
    for message, errors in catalog.check():
        problems.extend(f"{_show(_key(message))}: {error}" for error in errors)
    assert not problems, "placeholders differ between msgid and msgstr:\n" + "\n".join(problems)


# -- (b) the catalogue knows every string in the code -----------------------------------------
def _fresh_extraction(tmp_path: Path):
    pot = tmp_path / "messages.pot"
    result = subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-o", str(pot), "."],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, f"pybabel extract failed:\n{result.stdout}\n{result.stderr}"
    return _read_po(pot)


def test_catalogues_are_up_to_date_with_the_code(tmp_path):
    extracted = {_key(m) for m in _fresh_extraction(tmp_path) if m.id}
    assert len(extracted) > 50, "extraction found suspiciously few messages: check babel.cfg"
    report = []
    for locale in LOCALES:
        known = {_key(m) for m in _read_po(_po_path(locale)) if m.id}
        missing = sorted(extracted - known, key=lambda k: (k[1], k[0] or ""))
        if missing:
            report.append(f"{locale}: {len(missing)} string(s) in the code are not in the catalogue:")
            report.extend(f"  {_show(k)}" for k in missing)
    assert not report, f"catalogues are out of date ({FIX}):\n" + "\n".join(report)


# -- (c) the committed .mo files are compiled from the current .po files ------------------------
def _mo_messages(data: bytes) -> dict:
    catalog = read_mo(io.BytesIO(data))
    def key(value):  # plural messages come back as lists
        return value if isinstance(value, str) else tuple(value)

    return {(m.context, key(m.id)): key(m.string) for m in catalog if m.id}


def _compiled_copies():
    """(locale, directory) of every .mo that must match a .po: the locale's own, plus the name
    Flask-Babel actually looks up (str(Locale.parse("zh_CN")) == "zh_Hans_CN")."""
    from babel import Locale

    for locale in LOCALES:
        yield locale, locale
        alias = str(Locale.parse(locale))
        if alias != locale:
            yield locale, alias


@pytest.mark.parametrize("locale,directory", list(_compiled_copies()))
def test_compiled_catalogue_matches_po(locale, directory):
    """Compared by content (what gettext will serve), not mtime: git does not keep mtimes."""
    po, mo = _po_path(locale), TRANSLATIONS / directory / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), f"{mo.relative_to(ROOT)} is missing ({FIX})"
    buf = io.BytesIO()
    write_mo(buf, _read_po(po), use_fuzzy=False)
    expected, committed = _mo_messages(buf.getvalue()), _mo_messages(mo.read_bytes())
    stale = sorted({k for k in expected.keys() | committed.keys() if expected.get(k) != committed.get(k)},
                   key=lambda k: str(k[1]))
    assert not stale, (
        f"{mo.relative_to(ROOT)} differs from {po.relative_to(ROOT)} in {len(stale)} message(s) ({FIX}):\n"
        + "\n".join(f"  {k[1]!r}: .po {expected.get(k)!r} / .mo {committed.get(k)!r}" for k in stale[:40])
    )


# -- translations/fab_messages.py still names real Flask-AppBuilder strings ------------------------
def test_fab_messages_exist_in_flask_appbuilder():
    """A FAB upgrade may reword a string; our override would then silently stop applying."""
    import flask_appbuilder

    with open(ROOT / "babel.cfg", encoding="utf-8") as fh:
        _, options_map = parse_mapping_cfg(fh)
    keywords = next(o["keywords"] for p, o in options_map.items() if p.startswith("translations/"))
    keywords = {**keywords, **parse_keywords(["lazy_formatter_gettext:1"])}  # FAB's own helper
    ours = {msgid for _, _, msgid, *_ in extract_from_dir(
        str(TRANSLATIONS), [("fab_messages.py", "python")], keywords=keywords)}
    assert ours, "no messages found in translations/fab_messages.py"
    fab = {msgid if isinstance(msgid, str) else msgid[0] for _, _, msgid, *_ in extract_from_dir(
        str(Path(flask_appbuilder.__file__).parent),
        [("**/templates/**.html", "jinja2"), ("**.py", "python")], keywords=keywords)}
    unknown = sorted(m for m in ours if m not in fab)
    assert not unknown, "translations/fab_messages.py names strings Flask-AppBuilder no longer uses:\n" + \
        "\n".join(f"  {m!r}" for m in unknown)


# -- (d) the running app: Chinese by default, English after /lang/en --------------------------------
def test_our_catalogue_overrides_fab(app):
    """Flask-Babel merges FAB's zh catalogue and ours; ours must win."""
    from flask_babel import force_locale, gettext

    with app.test_request_context("/"):
        with force_locale("zh_CN"):
            assert gettext("Record Count") == "记录数"          # FAB's own: 记录数目
            assert gettext("Logout") == "退出登录"               # FAB's own: 注销
            assert gettext("Customer") == "客户"
        with force_locale("en"):
            assert gettext("Record Count") == "Record Count"


def test_templates_say_their_words_in_the_language_in_force_at_each_word(app):
    """The templates' _() keeps the request's translations, yet follows force_locale (a mail
    drawn in the recipient's language inside a request) and refresh (a language just chosen)."""
    from flask import render_template_string, session
    from flask_babel import force_locale, refresh

    word = "{{ _('Customers') }}"
    with app.test_request_context("/"):
        assert render_template_string(word) == "客户"
        with force_locale("en"):
            assert render_template_string(word) == "Customers"
            with force_locale("zh_CN"):
                assert render_template_string(word) == "客户"
            assert render_template_string(word) == "Customers"
        assert render_template_string(word) == "客户"
        session["locale"] = "en"
        refresh()
        assert render_template_string(word) == "Customers"
        session["locale"] = "zh_CN"
        refresh()
        assert render_template_string(word) == "客户"


def test_a_template_word_escapes_its_values_where_the_template_escapes_and_only_there(app):
    """_() and {% trans %}: the translation with its values put in, escaped in HTML, as they are in
    a plain-text template (a mail's text part); %% stays a percent sign."""
    from flask import render_template_string

    name = "<b>A&B</b>"
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Edit') }}") == "编辑"
        html = render_template_string("{{ _('Delete “%(record)s”? This cannot be undone.', record=name) }}", name=name)
        assert html == "确定删除“&lt;b&gt;A&amp;B&lt;/b&gt;”吗？删除后无法恢复。"
        assert render_template_string("{% trans n=name %}{{ n }} / page{% endtrans %}", name=name) == \
            "&lt;b&gt;A&amp;B&lt;/b&gt; 条/页"
        text = app.jinja_env.from_string(
            "{% autoescape false %}{{ _('Delete “%(record)s”? This cannot be undone.', record=name) }}"
            "{% endautoescape %}").render(name=name)
        assert text == "确定删除“<b>A&B</b>”吗？删除后无法恢复。"


def test_the_code_s_words_and_lazy_labels_follow_the_language_in_force_at_each_word(app):
    """gettext and lazy labels keep the request's translations too (Domain.get_translations), and
    follow force_locale and refresh like the templates."""
    from flask import session
    from flask_babel import force_locale, gettext, lazy_gettext, refresh

    label = lazy_gettext("Customers")
    with app.test_request_context("/"):
        assert (gettext("Customers"), str(label)) == ("客户", "客户")
        with force_locale("en"):
            assert (gettext("Customers"), str(label)) == ("Customers", "Customers")
            with force_locale("zh_CN"):
                assert str(label) == "客户"
            assert gettext("Customers") == "Customers"
        assert str(label) == "客户"
        session["locale"] = "en"
        refresh()
        assert (gettext("Customers"), str(label)) == ("Customers", "Customers")
    with app.test_request_context("/"):
        assert gettext("Customers") == "客户"      # a new request starts from its own language


def test_login_page_is_chinese_by_default_and_english_after_switching(app):
    client = app.test_client()
    page = client.get("/login/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "用户名" in html and "登录" in html, html
    assert "Enter your login and password below" not in html

    switched = client.get("/lang/en")  # FAB's LocaleView: /lang/<locale>, then redirects back
    assert switched.status_code == 302

    html = client.get("/login/").get_data(as_text=True)
    assert "Username" in html and "Sign In" in html, html
    assert "用户名" not in html

    client.get("/lang/zh_CN")
    assert "用户名" in client.get("/login/").get_data(as_text=True)
