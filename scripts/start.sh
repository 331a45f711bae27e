#!/usr/bin/env bash
# Install 掌务通 into .venv and start it with demo data on the embedded defaults
# (SQLite and Redis under instance/). Extra arguments go to `run.py serve`, e.g. --port 8000.
# Ctrl-C stops the web server, the worker and the cron scheduler.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
cd "$ROOT"

SCRIPT=start.sh
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

# pip install -r requirements.txt, skipped when it is unchanged since the last install
# (scripts/test.sh writes the same stamp).
install_requirements() {
    local stamp="$VENV/.installed-requirements.txt.sha256" sum
    sum="$(sha256sum <requirements.txt | cut -d' ' -f1)"
    [ "$(cat "$stamp" 2>/dev/null)" = "$sum" ] && return 0
    echo "Installing requirements.txt into .venv ..."
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -qq --no-input -r requirements.txt ||
        die "pip install -r requirements.txt failed."
    echo "$sum" >"$stamp"
}

ensure_venv
install_requirements
ensure_pdf_font
exec "$VENV/bin/python" run.py serve --demo "$@"
