#!/usr/bin/env bash
# Install the test requirements into .venv and run the whole test suite. Arguments go to pytest.
# Without DATABASE_URL / REDIS_URL the suite runs on SQLite and the embedded Redis; set
# DATABASE_URL=postgresql://... and REDIS_URL=redis://... to run it against real servers.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

SCRIPT=test.sh
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

# pip install -r requirements-test.txt (which includes requirements.txt), skipped when neither
# file changed since the last install. The stamps are shared with scripts/start.sh.
install_requirements() {
    local app_sum test_sum
    app_sum="$(sha256sum <requirements.txt | cut -d' ' -f1)"
    test_sum="$(cat requirements-test.txt requirements.txt | sha256sum | cut -d' ' -f1)"
    if [ "$(cat "$VENV/.installed-requirements-test.txt.sha256" 2>/dev/null)" = "$test_sum" ]; then
        return 0
    fi
    echo "Installing requirements-test.txt into .venv ..."
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -qq --no-input -r requirements-test.txt ||
        die "pip install -r requirements-test.txt failed."
    echo "$test_sum" >"$VENV/.installed-requirements-test.txt.sha256"
    echo "$app_sum" >"$VENV/.installed-requirements.txt.sha256"
}

# The browser tests drive Debian's chromium; without it they skip themselves. Their screenshots
# need a Chinese font (Noto Sans CJK, one of the fonts the pages ask for).
ensure_chromium() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    # grep reads the whole list (with -q it may stop early and, under pipefail, fail the check)
    fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
    [ "${#missing[@]}" -eq 0 ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        echo "Installing ${missing[*]} for the browser tests ..."
        apt_install "${missing[@]}"
    else
        echo "Note: ${missing[*]} not installed; without chromium the browser tests are skipped (sudo apt-get install ${missing[*]})."
    fi
}

ensure_venv
install_requirements
ensure_chromium
ensure_pdf_font
exec "$VENV/bin/python" -m pytest -q "$@"
