"""The frame around every page: sidebar menu, top bar, breadcrumbs, theme and the user's
folded-sidebar choice."""
from __future__ import annotations


def install(app, appbuilder) -> None:
    """Template globals and the small endpoints the shell needs."""
