"""The tax platform (数电票 / 税控) behind invoices, reached through a provider like SMS.

INVOICE_PLATFORM = "local" (the default) records issuance here, so the demo and offline installations work;
"package.module:ClassName" names a TaxPlatform subclass that talks to the real platform. A provider is called
inside the issuing transaction: when it raises, nothing is issued and the number is given back.
"""
from __future__ import annotations

import importlib

from flask import current_app


class TaxPlatform:
    """Issues and voids invoices on the tax platform; returns the platform's reference of an issued invoice."""

    def issue(self, invoice) -> str:
        raise NotImplementedError

    def void(self, invoice) -> None:
        raise NotImplementedError


class LocalPlatform(TaxPlatform):
    """Records issuance locally: the reference is the invoice's own number."""

    def issue(self, invoice) -> str:
        return f"LOCAL-{invoice.code}"

    def void(self, invoice) -> None:
        return None


def platform() -> TaxPlatform:
    name = current_app.config.get("INVOICE_PLATFORM") or "local"
    if name == "local":
        return LocalPlatform()
    module_name, _sep, class_name = name.partition(":")
    return getattr(importlib.import_module(module_name), class_name)()
