"""Domain errors: a stable code for programs, a translated message for people."""
from __future__ import annotations


class DomainError(Exception):
    """A business rule refused an operation. Nothing was changed.

    `code` is stable (e.g. "customers.duplicate_name"); `message` is already translated;
    `field` names the form/API field the message belongs next to, when there is one.
    """

    status = 400

    def __init__(self, code: str, message: str, field: str | None = None, **params):
        super().__init__(str(message))
        self.code = code
        self.message = str(message)
        self.field = field
        self.params = params

    def as_dict(self) -> dict:
        data = {"error": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        return data


class ValidationErrors(DomainError):
    """Several field messages at once: {field: [message, ...]}."""

    def __init__(self, errors: dict[str, list[str]], code: str = "validation"):
        first = next(iter(errors.values()))[0] if errors else ""
        super().__init__(code, first)
        self.errors = errors

    def as_dict(self) -> dict:
        return {"error": self.code, "message": self.errors}


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403
