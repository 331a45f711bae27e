#!/usr/bin/env bash
# Refresh 掌务通's message catalogues; safe to re-run at any time, from any directory.
#
#   translations/update.sh             extract, update and compile
#   translations/update.sh --compile   only compile the .po files to .mo (no extraction)
#
# 1. extracts every gettext string of app/ (Python and Jinja templates) and of
#    translations/fab_messages.py into translations/messages.pot, using babel.cfg;
# 2. merges it into translations/{zh_CN,en}/LC_MESSAGES/messages.po (`pybabel init` when a
#    catalogue does not exist yet). New strings arrive with an empty msgstr, never as fuzzy
#    guesses; strings gone from the code are dropped;
# 3. compiles every catalogue to messages.mo (these are committed: the app reads them), and
#    copies a catalogue's .mo to the directory name Flask-Babel actually looks up when that
#    differs (zh_CN -> zh_Hans_CN, see install_aliases below).
#
# Afterwards translate the empty msgstr entries of zh_CN (this script and
# tests/test_translations.py list them) and run the script again so the .mo files match.
# The English catalogue keeps msgstr empty: the msgids are the English text.
#
# PYTHON may point at another interpreter that has Babel installed (default: the project venv).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
LOCALES=(zh_CN en)

pybabel() { "$PYTHON" -m babel.messages.frontend "$@"; }

extract() {
    # Extract to a temporary file and keep the old template when only its timestamp changed,
    # so a re-run without new strings leaves the working tree clean.
    local tmp_pot tmp_log
    tmp_pot="$(mktemp)"
    tmp_log="$(mktemp)"
    if ! pybabel extract -F babel.cfg -o "$tmp_pot" \
            --project=ZhangWuTong --copyright-holder=ZhangWuTong \
            --add-comments=TRANSLATORS: \
            . >"$tmp_log" 2>&1; then
        cat "$tmp_log" >&2
        rm -f "$tmp_pot" "$tmp_log"
        echo "extraction failed" >&2
        exit 1
    fi
    if [[ -f translations/messages.pot ]] &&
        diff -q <(grep -v '^"POT-Creation-Date:' "$tmp_pot") \
                <(grep -v '^"POT-Creation-Date:' translations/messages.pot) >/dev/null; then
        echo "messages.pot: no change"
    else
        cp "$tmp_pot" translations/messages.pot
        echo "messages.pot: updated"
    fi
    rm -f "$tmp_pot" "$tmp_log"
}

update_catalogues() {
    local locale po out
    for locale in "${LOCALES[@]}"; do
        po="translations/$locale/LC_MESSAGES/messages.po"
        if [[ ! -f "$po" ]]; then
            pybabel init -i translations/messages.pot -d translations -l "$locale"
            # `init` marks the new catalogue's header fuzzy, and `compile` skips fuzzy catalogues.
            "$PYTHON" - "$po" <<'PY'
import sys
from babel.messages.pofile import read_po, write_po
path = sys.argv[1]
with open(path, "rb") as fh:
    catalog = read_po(fh)
catalog.fuzzy = False
with open(path, "wb") as fh:
    write_po(fh, catalog)
PY
        else
            out="$(pybabel update -i translations/messages.pot -d translations -l "$locale" \
                --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date 2>&1)" \
                || { echo "$out" >&2; exit 1; }
        fi
    done
}

compile_catalogues() {
    local locale out
    for locale in "${LOCALES[@]}"; do
        out="$(pybabel compile -d translations -l "$locale" --statistics 2>&1)" \
            || { echo "$out" >&2; echo "compile failed for $locale" >&2; exit 1; }
        grep -v '^compiling catalog' <<<"$out" || true
        [[ -f "translations/$locale/LC_MESSAGES/messages.mo" ]] \
            || { echo "no .mo written for $locale" >&2; exit 1; }
    done
}

install_aliases() {
    # Flask-Babel looks a catalogue up under str(babel.Locale.parse(locale)), which for zh_CN
    # is zh_Hans_CN (falling back to zh, where only FAB's own catalogue lives). Without a copy
    # there the app would never load our Chinese catalogue.
    "$PYTHON" - "${LOCALES[@]}" <<'PY'
import shutil, sys
from pathlib import Path
from babel import Locale
for locale in sys.argv[1:]:
    alias = str(Locale.parse(locale))
    if alias != locale:
        target = Path("translations", alias, "LC_MESSAGES", "messages.mo")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path("translations", locale, "LC_MESSAGES", "messages.mo"), target)
        print(f"{locale}: also installed as {target} (the name Flask-Babel looks up)")
PY
}

report() {
    "$PYTHON" - <<'PY'
from babel.messages.pofile import read_po
with open("translations/zh_CN/LC_MESSAGES/messages.po", "rb") as fh:
    catalog = read_po(fh)
def done(m):
    strings = m.string if isinstance(m.string, (tuple, list)) else [m.string]
    return not m.fuzzy and all(s.strip() for s in strings)
messages = [m for m in catalog if m.id]
todo = [m for m in messages if not done(m)]
print(f"zh_CN: {len(messages) - len(todo)} of {len(messages)} messages translated")
for m in todo:
    print("  TODO:", m.id if isinstance(m.id, str) else m.id[0])
PY
}

cd "$ROOT"
case "${1:-}" in
    "") extract; update_catalogues ;;
    --compile) ;;
    *) echo "usage: $0 [--compile]" >&2; exit 2 ;;
esac
compile_catalogues
install_aliases
report
