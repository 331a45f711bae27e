"""The contracts module's scheduled job: every morning, contracts whose end is near become 即将到期, those past
their end 已到期, and their owners and managers are reminded (each reminder once)."""
from __future__ import annotations

from app.core.jobs import in_app_context


@in_app_context
def watch_expiry() -> dict:
    from app.modules.contracts.lifecycle import watch_expiry as watch

    return watch()


CRON = [
    lambda config: {"func": watch_expiry, "cron": config.get("CONTRACT_EXPIRY_CRON", "10 1 * * *"),
                    "name": "contracts.expiry"},
]


@in_app_context
def freeze_document(contract_id: int) -> str:
    from app.modules.contracts.lifecycle import freeze_document as freeze

    return freeze(contract_id)
