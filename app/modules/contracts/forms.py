"""The customer chooser of the contract forms and the list's search: the frame's remote select
(app/core/remote_select.py) fed by the contracts module's own look-up (views.customer_choices)."""
from __future__ import annotations

from app.core.remote_select import RemoteSelectField, RemoteSelectWidget  # noqa: F401
