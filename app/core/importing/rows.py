"""Checking an import's rows: each cell read as its column says (columns.py), then the module's
own checks (ImportSpec.check_row per row, check_batch once per batch, e.g. duplicates)."""
from __future__ import annotations

from flask_babel import gettext as _

from app.core.errors import DomainError

from app.core.importing.columns import (Column, Lookups, choice_labels, choice_map, columns_of, normalise_header,
                                        parse_boolean, parse_date, parse_datetime, parse_decimal)


class ImportRow:
    """One row as checked: an attribute per column (a relation gives the record and its id, e.g.
    `owner` and `owner_id`), `custom` with the custom fields' values. Plain values: an import
    writes rows in bulk, no ORM object is made per row unless its writer makes one."""

    def __init__(self):
        self.custom = {}

    def __getattr__(self, name):   # a column the file left out
        if name.startswith("__"):
            raise AttributeError(name)
        return None


class Importer:
    """Checks rows batch by batch for one file of one module; hooks keep what they need across
    batches in `state`."""

    def __init__(self, spec, actor):
        from app.core.clock import utcnow

        self.spec = spec
        self.actor = actor
        self.columns: list[Column] = columns_of(spec)
        self.by_name = {c.name: c for c in self.columns}
        self.labels = {c.name: c.header() for c in self.columns}
        self.choices = {c.name: choice_map(c) for c in self.columns if c.kind == "choice"}
        self.lookups = Lookups(actor, spec)
        self.state: dict = {}
        self.today = utcnow().date()
        self.declared = spec.importing

    # one row
    def build(self, values: dict) -> tuple[ImportRow, dict]:
        errors: dict[str, list[str]] = {}
        row = ImportRow()
        for column in self.columns:
            text = values.get(column.name, "")
            try:
                self._cell(row, column, text, errors)
            except ValueError as exc:
                errors.setdefault(column.name, []).append(str(exc))
        if self.declared.check_row is not None:
            self.declared.check_row(self, row, errors)
        return row, errors

    def _cell(self, row: ImportRow, column: Column, text: str, errors: dict) -> None:
        name, kind = column.name, column.kind
        if kind == "custom":
            self._custom(row, column, text, errors)
            return
        if not text and kind not in ("user", "record"):
            if column.required:
                errors.setdefault(name, []).append(_("This column must be filled in."))
            setattr(row, name, column.default)
            return
        if kind == "choice":
            value = self.choices[name].get(normalise_header(text))
            if value is None:
                errors.setdefault(name, []).append(_("“%(value)s” is not one of: %(choices)s.", value=text,
                                                     choices="、".join(choice_labels(column))))
            setattr(row, name, value or column.default)
        elif kind == "decimal":
            try:
                setattr(row, name, parse_decimal(text, column.scale))
            except ValueError:
                errors.setdefault(name, []).append(_("Please enter an amount, e.g. 50000.00."))
        elif kind == "integer":
            try:
                setattr(row, name, int(parse_decimal(text, None)))
            except (ValueError, ArithmeticError):
                errors.setdefault(name, []).append(_("Please enter a whole number."))
        elif kind == "boolean":
            try:
                setattr(row, name, parse_boolean(text))
            except ValueError:
                errors.setdefault(name, []).append(_("Please enter 是 or 否."))
        elif kind == "date":
            try:
                setattr(row, name, parse_date(text))
            except ValueError:
                errors.setdefault(name, []).append(_("Please enter a date such as 2026-03-31."))
        elif kind == "datetime":
            try:
                setattr(row, name, parse_datetime(text))
            except ValueError:
                errors.setdefault(name, []).append(_("Please enter a date and time such as 2026-03-31 14:30."))
        elif kind in ("user", "record"):
            found, message = (self.lookups.user if kind == "user" else self.lookups.record)(column, text)
            if message:
                errors.setdefault(name, []).append(message)
            elif found is None and column.required:
                errors.setdefault(name, []).append(_("This column must be filled in."))
            setattr(row, name, found)
            setattr(row, column.foreign_key, found.id if found is not None else None)
        else:
            if column.length and len(text) > column.length:
                errors.setdefault(name, []).append(_("At most %(n)d characters.", n=column.length))
                text = text[:column.length]
            setattr(row, name, text)

    def _custom(self, row: ImportRow, column: Column, text: str, errors: dict) -> None:
        """A custom field's cell, checked as its field's own rules say."""
        from app.core.importing import columns

        try:
            value = columns.coerce_custom(column.field, text)
        except DomainError as exc:
            errors.setdefault(column.name, []).append(exc.message)
            return
        if value is None and column.field.default not in (None, "", []):
            from app.core.custom_fields.values import load

            value = load(column.field, column.field.default)   # what a new record starts with
        if value is not None:
            row.custom[column.field.name] = value

    # a batch
    def check_batch(self, batch: list) -> list[tuple]:
        """[(row number, row, {column: [message]})] for a batch of (row number, values)."""
        built = [(number, *self.build(values)) for number, values in batch]
        if self.declared.check_batch is not None:
            self.declared.check_batch(self, built)
        return built

    def title(self, row: ImportRow) -> str:
        """What names a row in the list of problems (its name or title)."""
        return str(getattr(row, self.spec.title_column, None) or "") if self.spec.title_column else ""

    def messages(self, errors: dict) -> list[str]:
        """Each message after its column's header (a custom field's own message names its field)."""
        said = []
        for f, ms in errors.items():
            column = self.by_name.get(f)
            for m in ms:
                if not f or (column is not None and column.kind == "custom" and m.startswith(str(column.label))):
                    said.append(m)
                else:
                    said.append(_("%(column)s: %(message)s", column=self.labels.get(f, f), message=m))
        return said
