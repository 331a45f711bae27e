"""Module declarations: one ModuleSpec per business object generates its screens, REST API,
charts, exports, menu entry and permissions (see registry.py).

Specs are checked at start-up with stable error ids, so a typo fails before the first click:
    spec.E001 customers: list column 'nmae' is not a column or relation of Customer
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from sqlalchemy import inspect

from app.core.scope import ScopeSpec

# The four things a role can be granted on a module.
READ, WRITE, DELETE, EXPORT = "read", "write", "delete", "export"
ACTIONS = (READ, WRITE, DELETE, EXPORT)


@dataclass(frozen=True)
class ChartSpec:
    """A chart drawn from one SQL aggregate: rows grouped by `group_by` (or by month of a
    date column when `period="month"`), counted or summed."""

    name: str
    title: Any
    group_by: str
    kind: str = "bar"              # bar / pie / line
    period: Optional[str] = None   # None or "month"
    measure: str = "count"         # "count" or "sum:<column>"
    limit: int = 20
    # Rows left out, as (column, values) pairs: e.g. (("status", ("draft", "cancelled")),)
    # counts only orders confirmed or beyond (a row whose column is empty is left out too).
    exclude: tuple = ()


@dataclass(frozen=True)
class ActionSpec:
    """A bulk or single-record action on the list: `handler(actor, items)` from the service."""

    name: str
    label: Any
    handler: Callable
    confirmation: Any = None
    permission: str = WRITE
    icon: str = "fa-bolt"
    main: bool = True          # may be a record's main button (the first of these is); printing is not


@dataclass(frozen=True)
class DocumentVariant:
    """A kind of record that prints with a default template of its own, e.g. the 增值税专用发票
    of the invoice document: `key` is what the document's `variant(item)` answers for it."""

    key: str
    label: Any
    template: str                                  # path of the shipped template file


@dataclass(frozen=True)
class DocumentSpec:
    """A printed document of a module (打印模板), e.g. the contract itself or a customer card.

    `template` is the shipped HTML + CSS file (Jinja syntax, see app/core/printing), seeded into
    the database by `run.py init`; admins edit it there. `context(item) -> dict` adds values of
    the module's own beyond the record's columns and relations. With `variants`, each kind of
    record (say each invoice type) has a default template of its own, and a record prints with
    its kind's default unless a template is chosen."""

    name: str
    label: Any
    template: str                                  # path of the shipped template file
    context: Optional[Callable] = None
    filename: str = ""                             # e.g. "合同-{code}"; default: the label and the record's id
    printed: Optional[Callable] = None             # printed(actor, item): the record notes it was printed
    variants: tuple = ()                           # DocumentVariant: a default template per kind of record
    variant: Optional[Callable] = None             # variant(item) -> the key of the item's variant


def _print_documents(actor, items):
    """The 打印 action every module with documents gets: one record opens its PDF, several
    start a batch job (app/core/printing)."""
    from app.core.printing.views import print_action

    return print_action(actor, items)


@dataclass(frozen=True)
class QuickFilter:
    """A chip above a list: one click narrows it with FAB filter arguments, e.g.
    QuickFilter("vip", _l("VIP"), {"_flt_0_tags": "3"})."""

    key: str
    label: Any
    args: dict


@dataclass(frozen=True)
class NumberingSpec:
    code: str
    name: Any
    pattern: str
    reset: str = "yearly"


@dataclass(frozen=True)
class WorkflowSpec:
    """How the approval engine acts on a module's documents: the chain it goes through, the
    status column it moves, and optional service hooks called in the engine's unit of work
    when an approval ends (`on_approved(actor, item)`, `on_rejected(actor, item)`)."""

    name: str                          # approval chain, e.g. "contract_approval"
    status_field: str = "status"
    draft: str = "draft"
    in_approval: str = "in_approval"
    approved: str = "approved"
    rejected: str = "rejected"
    on_approved: Optional[Callable] = None
    on_rejected: Optional[Callable] = None
    # Called as on_submit(actor, item) before a draft goes into approval, in the same unit of work: raises
    # DomainError when the document is not ready (nothing is written), or completes it.
    on_submit: Optional[Callable] = None
    # Documents of one type that go through different chains (approval forms, each bound to its
    # own chain): `chain(record_id)` names the chain of that record; None falls back to `name`.
    chain: Optional[Callable] = None

    def chain_of(self, record_id) -> str:
        """The name of the chain the record `record_id` goes through."""
        return (self.chain(record_id) if self.chain is not None else None) or self.name


@dataclass(frozen=True)
class ImportSpec:
    """Importing a module's records from Excel / CSV (导入, app/core/importing).

    `columns` are the template's columns in order (default: the spec's add_columns); a relation
    is given by a human key (a user by user name, a record by its code or name). Hooks of the
    module: `check_row(importer, row, errors)` after a row's cells are read,
    `check_batch(importer, rows)` with [(row number, row, errors)] of a batch (duplicate checks,
    one query per batch), and `writer(importer)` returning `write(rows) -> int` (default: the
    service's create(actor, item) per row). `importer.state` is a dict the hooks keep across
    batches of one file."""

    columns: tuple = ()
    required: tuple = ()                              # columns a row must fill
    defaults: dict = field(default_factory=dict)      # column -> value when the cell is empty
    headers: dict = field(default_factory=dict)       # column -> header instead of its label
    help: dict = field(default_factory=dict)          # column -> what to enter (template's second sheet)
    text_columns: tuple = ()                          # kept as text in the workbook (phones, ids)
    choices: dict = field(default_factory=dict)      # column -> the choice values an import may set
    check_row: Optional[Callable] = None
    check_batch: Optional[Callable] = None
    writer: Optional[Callable] = None


@dataclass
class ModuleSpec:
    name: str                       # resource name: URL /api/v1/<name>/, permission view name
    model: type
    label: Any                      # menu label (lazy gettext)
    label_plural: Any = None
    category: Any = None            # menu category label (lazy gettext)
    category_key: str = ""          # stable menu category name (permission "menu_access on <key>")
    category_icon: str = "fa-folder"
    icon: str = "fa-table"
    label_columns: dict = field(default_factory=dict)
    list_columns: list = field(default_factory=list)
    show_fieldsets: list = field(default_factory=list)
    add_columns: list = field(default_factory=list)
    edit_columns: list = field(default_factory=list)
    search_columns: list = field(default_factory=list)
    # Columns whose "contains" search a bigram index speeds up on PostgreSQL (see migration 0004).
    text_search_columns: list = field(default_factory=list)
    order_columns: list = field(default_factory=list)
    base_order: tuple = ("id", "desc")
    page_size: int = 25
    count_cap: Optional[int] = 1000        # None: exact counts
    export_columns: list = field(default_factory=list)
    api_columns: list = field(default_factory=list)        # list/show/add/edit in the API
    api_write_columns: list = field(default_factory=list)
    description_columns: dict = field(default_factory=dict)
    scope: Optional[ScopeSpec] = None
    permission_name: str = ""              # defaults to name; child records share the parent's
    charts: list = field(default_factory=list)
    # ChartSpecs not drawn on the module's chart page but kept current for its reports (on
    # PostgreSQL, app/core/chart_cache), read with chart_cache.aggregate_rows.
    report_totals: list = field(default_factory=list)
    actions: list = field(default_factory=list)
    numbering: Optional[NumberingSpec] = None
    service: Any = None                    # module with create/update/delete(actor, item, ...)
    related: list = field(default_factory=list)            # names of child specs shown as tabs
    show_in_menu: bool = True
    workflow: Optional[WorkflowSpec] = None
    formatters: dict = field(default_factory=dict)         # column -> callable(value) for lists
    # column -> WTForms field replacing the generated one in the add, edit and search forms
    # (e.g. a chooser that searches, where a select would list every customer).
    form_fields: dict = field(default_factory=dict)
    # column -> extra FAB filter classes offered for it in the list search and the API
    search_filters: dict = field(default_factory=dict)

    # -- how the shell presents the module: lists, detail header, phone cards, global search --
    title_column: str = ""          # the record's name (detail header, phone card title, search hit)
    code_column: str = ""           # its document number, e.g. KH-2026-00001
    status_column: str = ""         # drawn as a coloured badge; defaults to the workflow's status field
    status_tones: dict = field(default_factory=dict)   # status value -> default/processing/success/warning/error
    # lifecycle(item) -> the statuses of the record's path in order, drawn as its progress bar (default: the
    # approval's draft → in approval → approved …)
    lifecycle: Optional[Callable] = None
    key_figures: list = field(default_factory=list)    # columns shown as figures in the detail header card
    date_column: str = ""           # the list's date presets (本周/本月/本季度) filter this column
    quick_filters: list = field(default_factory=list)  # QuickFilter chips beyond status / mine / dates
    card_columns: list = field(default_factory=list)   # fields a phone card shows (default: first list columns)
    global_search: list = field(default_factory=list)  # columns the top bar search matches (code, name, phone)
    form_fieldsets: list = field(default_factory=list)  # add / edit sections; default: show_fieldsets
    documents: list = field(default_factory=list)       # DocumentSpec: printed documents (打印)
    importing: Optional[ImportSpec] = None             # 导入 from Excel / CSV (app/core/importing)
    made_elsewhere: bool = False    # records made by their own steps (invoices, payments' allocations): no add or edit screen

    def __post_init__(self):
        if not self.permission_name:
            self.permission_name = self.name
        if self.label_plural is None:
            self.label_plural = self.label
        if not self.export_columns:
            self.export_columns = list(self.list_columns)
        columns = self.model.__table__.columns if hasattr(self.model, "__table__") else {}
        if not self.title_column:
            self.title_column = next((c for c in ("name", "title", "subject") if c in columns), "")
        if not self.code_column and "code" in columns and self.title_column != "code":
            self.code_column = "code"
        if not self.status_column:
            if self.workflow is not None:
                self.status_column = self.workflow.status_field
            elif "status" in columns and "choices" in columns["status"].info:
                self.status_column = "status"
        if not self.date_column and "created_at" in columns:
            self.date_column = "created_at"
        if not self.card_columns:
            self.card_columns = list(self.list_columns[:4])
        if not self.form_fieldsets and self.show_fieldsets:
            self.form_fieldsets = list(self.show_fieldsets)
        if self.documents and not any(a.name == "print" for a in self.actions):
            from flask_babel import lazy_gettext as _l

            self.actions = [*self.actions, ActionSpec("print", _l("Print"), _print_documents, permission=READ,
                                                      icon="fa-print", main=False)]


class SpecError(Exception):
    pass


def _known(model, name: str) -> bool:
    mapper = inspect(model)
    head = name.split(".", 1)[0]
    return head in mapper.attrs or hasattr(model, head)


def check_spec(spec: ModuleSpec, known_specs: dict) -> list[str]:
    """Return error strings 'spec.Exxx <module>: message' for everything wrong in `spec`."""
    errors = []
    model = spec.model
    mname = model.__name__

    def err(code, msg):
        errors.append(f"spec.{code} {spec.name}: {msg}")

    for attr, code in (("list_columns", "E001"), ("add_columns", "E002"), ("edit_columns", "E003"),
                       ("search_columns", "E004"), ("order_columns", "E005"), ("export_columns", "E006"),
                       ("api_columns", "E007"), ("api_write_columns", "E007")):
        for col in getattr(spec, attr):
            if not _known(model, col):
                err(code, f"{attr[:-8]} column '{col}' is not a column or relation of {mname}")
    for title, fs in spec.show_fieldsets:
        for col in fs.get("fields", []):
            if not _known(model, col):
                err("E008", f"fieldset '{title}' column '{col}' is not a column or relation of {mname}")
    for attr in ("title_column", "code_column", "status_column", "date_column"):
        col = getattr(spec, attr)
        if col and not _known(model, col):
            err("E013", f"{attr} '{col}' is not a column or relation of {mname}")
    for attr in ("key_figures", "card_columns", "global_search"):
        for col in getattr(spec, attr):
            if not _known(model, col) and not (attr == "card_columns" and col in spec.list_columns):
                err("E014", f"{attr[:-1] if attr.endswith('s') else attr} '{col}' is not a column or relation of {mname}")
    for title, fs in (spec.form_fieldsets if spec.form_fieldsets != spec.show_fieldsets else []):
        for col in fs.get("fields", []):
            if not _known(model, col):
                err("E015", f"form fieldset '{title}' column '{col}' is not a column or relation of {mname}")
    if spec.base_order and not _known(model, spec.base_order[0]):
        err("E009", f"base_order column '{spec.base_order[0]}' is not a column of {mname}")
    for chart in [*spec.charts, *spec.report_totals]:
        for column, _values in chart.exclude:
            if not _known(model, column):
                err("E010", f"chart '{chart.name}' leaves out rows by unknown column '{column}'")
        if not _known(model, chart.group_by):
            err("E010", f"chart '{chart.name}' groups by unknown column '{chart.group_by}'")
        if chart.kind not in ("bar", "pie", "line"):
            err("E011", f"chart '{chart.name}' has unknown kind '{chart.kind}'")
        if chart.measure != "count" and not (chart.measure.startswith("sum:") and _known(model, chart.measure[4:])):
            err("E012", f"chart '{chart.name}' has unknown measure '{chart.measure}'")
    if spec.scope is not None:
        s = spec.scope
        if s.via:
            if not _known(model, s.via):
                err("E020", f"scope via column '{s.via}' is not a column of {mname}")
            if s.via_module not in known_specs:
                err("E021", f"scope via module '{s.via_module}' is not registered")
        else:
            for col in (s.owner, s.department):
                if col and not _known(model, col):
                    err("E022", f"scope column '{col}' is not a column of {mname}")
    for rel in spec.related:
        if rel not in known_specs:
            err("E030", f"related module '{rel}' is not registered")
    if spec.workflow is not None:
        wf = spec.workflow
        column = model.__table__.columns.get(wf.status_field)
        if column is None:
            err("E050", f"workflow status field '{wf.status_field}' is not a column of {mname}")
        elif "choices" in column.info:
            values = {v for v, _label in column.info["choices"]}
            for state in (wf.draft, wf.in_approval, wf.approved, wf.rejected):
                if state not in values:
                    err("E051", f"workflow state '{state}' is not a choice of {mname}.{wf.status_field}")
    seen_documents = set()
    for document in spec.documents:
        if document.name in seen_documents:
            err("E060", f"document '{document.name}' is declared twice")
        seen_documents.add(document.name)
        if not os.path.isfile(document.template):
            err("E061", f"document '{document.name}' template file '{document.template}' does not exist")
    if spec.importing is not None:
        declared = spec.importing
        for col in (*declared.columns, *declared.required, *declared.defaults, *declared.choices):
            if not _known(model, col):
                err("E070", f"import column '{col}' is not a column or relation of {mname}")
        if declared.writer is None and not callable(getattr(spec.service, "create", None)):
            err("E071", "import has no writer and the service no create(actor, item) function")
    if spec.service is not None:
        for hook in ("create", "update", "delete"):
            if not callable(getattr(spec.service, hook, None)):
                err("E040", f"service has no {hook}(actor, item) function")
    return errors
