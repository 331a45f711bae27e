"""A module's custom fields are columns of its import: the template has them (header = the
field's label, a drop-down for a choice), and each cell is checked by the field's own rules.
The fields here stand in for app/core/custom_fields (fields_of / coerce)."""
import csv
import io
from collections import namedtuple

import pytest
from openpyxl import load_workbook

from app.core.errors import DomainError
from app.core.importing import columns
from tests.conftest import unique
from tests.factories import make_customer

Field = namedtuple("Field", "module name label kind required default help_text choices position retired")
LEVEL = Field("contracts", "level", "重要程度", "choice", False, None, "合同的重要程度", (("a", "重要"), ("b", "一般")), 1,
              False)
BUDGET = Field("contracts", "budget_code", "预算编号", "text", True, None, "", (), 2, False)


@pytest.fixture
def custom_fields(monkeypatch):
    def fields_of(spec):
        return [LEVEL, BUDGET] if spec.name == "contracts" else []

    def coerce(field, raw):
        raw = (raw or "").strip()
        if not raw:
            if field.required:
                raise DomainError("custom.required", f"{field.label}：必须填写。")
            return None
        if field.kind == "choice":
            for value, label in field.choices:
                if raw in (value, label):
                    return value
            raise DomainError("custom.choice", f"{field.label}：“{raw}”不是可选值。")
        return raw

    monkeypatch.setattr(columns, "custom_fields", fields_of)
    monkeypatch.setattr(columns, "coerce_custom", coerce)


def test_the_template_has_the_custom_fields(org, login, custom_fields):
    client = login(org.east_rep)
    wb = load_workbook(io.BytesIO(client.get("/contracts/import/template.xlsx").data))
    header = [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))]
    assert header[-2:] == ["重要程度", "预算编号"]
    assert '"重要,一般"' in [v.formula1 for v in wb.worksheets[0].data_validations.dataValidation]
    notes = [[c.value for c in row] for row in wb.worksheets[1].iter_rows(min_row=2)]
    assert ["预算编号", "是", ""] in [[r[0], r[1], r[2] or ""] for r in notes]
    body = client.get("/contracts/import/template.csv").data.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(body)))[-2:] == ["重要程度", "预算编号"]


def test_custom_field_cells_are_checked_by_the_fields_rules(org, login, custom_fields):
    from tests.modules.contracts.test_import import HEADERS, _csv, _problems, _upload

    customer = make_customer(org.east_rep)
    marker = unique("自定义")
    rows = [[f"{marker}-1", customer.code, "100", "", "", "", "", "", "", "", "重要", "YS-1"],
            [f"{marker}-2", customer.code, "100", "", "", "", "", "", "", "", "紧急", "YS-2"],
            [f"{marker}-3", customer.code, "100", "", "", "", "", "", "", "", "b", ""]]
    html = _upload(login(org.east_rep), _csv(rows, header=[*HEADERS, "重要程度", "预算编号"])).get_data(as_text=True)
    problems = _problems(html)
    assert set(problems) == {3, 4}
    assert "紧急" in problems[3] and "预算编号" in problems[4]
    assert problems[4].count("预算编号") == 1     # the field's own message names it once


def test_two_fields_with_one_label_get_headers_told_apart_by_their_names(org, login, monkeypatch):
    """Two fields an admin labelled alike (预算 and 预算): the template names the second by its field name, and a
    file with those headers imports each into its own field."""
    first = Field("contracts", "budget_a", "预算", "text", False, None, "", (), 1, False)
    second = Field("contracts", "budget_b", "预算", "text", False, None, "", (), 2, False)
    monkeypatch.setattr(columns, "custom_fields", lambda spec: [first, second] if spec.name == "contracts" else [])
    monkeypatch.setattr(columns, "coerce_custom", lambda field, raw: (raw or "").strip() or None)
    from app.core.registry import registry

    headers = [c.header() for c in columns.columns_of(registry.get("contracts"))]
    assert headers[-2:] == ["预算", "预算 (budget_b)"] and len(set(headers)) == len(headers)
    names = columns.header_names(columns.columns_of(registry.get("contracts")))
    assert names[columns.normalise_header("预算")] == "custom.budget_a"
    assert names[columns.normalise_header("预算 (budget_b)")] == "custom.budget_b"
    client = login(org.east_rep)
    body = client.get("/contracts/import/template.csv").data.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(body)))[-2:] == ["预算", "预算 (budget_b)"]
