# Shared by scripts/start.sh and scripts/test.sh: find Python 3.11 and make .venv.
# Expects ROOT, VENV and SCRIPT (the caller's name, for messages) to be set.

die() { echo "$SCRIPT: $*" >&2; exit 1; }

# Debian's own python3.11 first where there is one: built with profile-guided and link-time
# optimisation, it runs the app about a sixth faster than a Python compiled without them (pyenv's
# default build); on a fresh Debian machine it is the python3.11 on the PATH anyway.
find_python() {
    local py
    for py in /usr/bin/python3.11 python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 &&
            "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
            command -v "$py"
            return 0
        fi
    done
    return 1
}

apt_install() {
    local out lock=(flock -w 600 /tmp/zwt-apt.lock)
    export DEBIAN_FRONTEND=noninteractive
    # Two runs at once (CI runs both suites together) take turns instead of failing on apt's lock.
    command -v flock >/dev/null 2>&1 || lock=()
    out="$("${lock[@]}" apt-get update -qq 2>&1)" || { echo "$out" >&2; die "apt-get update failed."; }
    out="$("${lock[@]}" apt-get install -y -qq "$@" 2>&1)" || { echo "$out" >&2; die "apt-get install $* failed."; }
}

ensure_venv() {
    if [ -x "$VENV/bin/python" ] &&
        "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then
        return 0
    fi
    local py
    py="$(find_python)" || die "Python 3.11 is required (python3.11 or python3 at version 3.11); install it and retry."
    if ! "$py" -c 'import ensurepip' >/dev/null 2>&1; then
        [ "$(id -u)" -eq 0 ] || die "Python's venv module is missing; run: sudo apt-get install python3.11-venv"
        echo "Installing python3.11-venv ..."
        apt_install python3.11-venv
    fi
    if [ -e "$VENV" ]; then
        echo "Recreating .venv: it is not a working Python 3.11 environment."
        rm -rf "$VENV"
    fi
    "$py" -m venv "$VENV" || { rm -rf "$VENV"; die "could not create $VENV with $py."; }
}


# PDF documents embed a Chinese font that reportlab can embed (TrueType outlines): WenQuanYi
# Micro Hei. Noto CJK's CFF outlines cannot be embedded by reportlab.
ensure_pdf_font() {
    [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] && return 0
    if [ "$(id -u)" -eq 0 ]; then
        echo "Installing fonts-wqy-microhei for PDF documents ..."
        apt_install fonts-wqy-microhei
    else
        echo "Note: fonts-wqy-microhei is not installed; printing PDF documents needs it (sudo apt-get install fonts-wqy-microhei, or set PDF_FONT_PATH)."
    fi
}
