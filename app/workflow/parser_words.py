"""Wording shared by the chain readers: a list of options, and "did you mean …" for a near miss."""
from __future__ import annotations

import difflib

from app.workflow.conditions import _


def _suggest(word: str, options) -> str:
    close = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=0.6)
    return (" " + _("Did you mean '%(name)s'?", name=close[0])) if close else ""


def _quote_list(options) -> str:
    return ", ".join(str(o) for o in options)
