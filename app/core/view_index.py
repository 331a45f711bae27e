"""The registered views of an app by class name and by route.

Screens look views up on every request (the list page's import link and filter panel, the saved
views, FAB's `is_item_visible`): with three hundred registered views, a walk through
`appbuilder.baseviews` per lookup was a visible part of a page. The index is built on first use
and again whenever views were added since."""
from __future__ import annotations


def _index(appbuilder) -> tuple:
    views = appbuilder.baseviews
    found = getattr(appbuilder, "_zwt_view_index", None)
    if found is None or found[0] != len(views):
        by_name: dict[str, list] = {}
        by_route: dict[str | None, list] = {}
        for view in views:
            by_name.setdefault(type(view).__name__, []).append(view)
            by_route.setdefault(getattr(view, "route_base", None), []).append(view)
        found = appbuilder._zwt_view_index = (len(views), by_name, by_route)
    return found


def views_named(appbuilder, name: str) -> list:
    """The registered views whose class is called `name`, in the order they were added."""
    return _index(appbuilder)[1].get(name, [])


def views_at(appbuilder, route_base: str | None) -> list:
    """The registered views routed at `route_base`, in the order they were added."""
    return _index(appbuilder)[2].get(route_base, [])
