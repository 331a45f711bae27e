"""Fill empty zh_CN msgstrs from a JSON file {"msgid": "译文", "context|msgid": "译文", ...}.

Several people add strings at once, so run the whole refresh under one lock:

    flock /tmp/zwt-i18n.lock bash -c \
        'translations/update.sh >/dev/null && .venv/bin/python translations/fill.py my.json && translations/update.sh --compile'

Entries already translated are left alone; msgids not in the catalogue are listed and ignored.
Plural entries take a JSON list of forms.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent / "zh_CN" / "LC_MESSAGES" / "messages.po"


def main(paths: list[str]) -> int:
    wanted = {}
    for path in paths:
        wanted.update(json.loads(Path(path).read_text(encoding="utf-8")))
    with PO.open("rb") as fh:
        catalog = read_po(fh)
    filled, seen = 0, set()
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        key = f"{message.context}|{msgid}" if message.context else msgid
        if key not in wanted:
            continue
        seen.add(key)
        current = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if all(s.strip() for s in current) and not message.fuzzy:
            continue
        value = wanted[key]
        message.string = tuple(value) if isinstance(message.id, (list, tuple)) else value
        message.flags.discard("fuzzy")
        filled += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog)
    missing = sorted(set(wanted) - seen)
    print(f"filled {filled} messages" + (f"; not in the catalogue: {missing}" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
