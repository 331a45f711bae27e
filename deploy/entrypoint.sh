#!/bin/sh
# Entry point of the 掌务通 image: secrets from files, then the command (gunicorn, run.py ...).
#
# SECRET_KEY, when not given, is read from SECRET_KEY_FILE. With ZWT_CREATE_SECRETS=1 (the one
# service that runs `run.py init`) a missing file is created with a random key, and a missing
# ADMIN_PASSWORD is made up and kept in ADMIN_PASSWORD_FILE for the first administrator.
set -eu

make_secret() {   # make_secret FILE: a random value in FILE unless it is there already
    if [ ! -s "$1" ]; then
        mkdir -p "$(dirname "$1")"
        (umask 077 && python -c 'import secrets; print(secrets.token_urlsafe(32))' > "$1.$$" && mv "$1.$$" "$1")
    fi
}

if [ -z "${SECRET_KEY:-}" ] && [ -n "${SECRET_KEY_FILE:-}" ]; then
    if [ "${ZWT_CREATE_SECRETS:-0}" = "1" ]; then
        make_secret "$SECRET_KEY_FILE"
    fi
    if [ ! -s "$SECRET_KEY_FILE" ]; then
        echo "SECRET_KEY is not set and $SECRET_KEY_FILE does not exist (the init service creates it)." >&2
        exit 1
    fi
    SECRET_KEY="$(cat "$SECRET_KEY_FILE")"
    export SECRET_KEY
fi

if [ "${ZWT_CREATE_SECRETS:-0}" = "1" ] && [ -z "${ADMIN_PASSWORD:-}" ] && [ -n "${ADMIN_PASSWORD_FILE:-}" ]; then
    make_secret "$ADMIN_PASSWORD_FILE"
    ADMIN_PASSWORD="$(cat "$ADMIN_PASSWORD_FILE")"
    export ADMIN_PASSWORD
    echo "The first administrator's password (if it is created now) is in $ADMIN_PASSWORD_FILE." >&2
fi

exec "$@"
