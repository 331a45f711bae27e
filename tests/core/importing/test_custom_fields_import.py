"""Custom fields an admin added (app/core/custom_fields) are columns of the module's import at
once: the template has them, each cell is checked by the field's rules, and the values are stored
with the record — by the customers' bulk writer and by the service writer contracts use."""
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from app.core.custom_fields.models import CustomField
from app.extensions import db
from app.modules.contracts.models import Contract
from app.modules.customers.models import Customer
from tests.conftest import unique
from tests.factories import make_customer


@pytest.fixture
def fields():
    """Custom fields on customers and contracts, removed again afterwards."""
    tag = re.sub(r"[^a-z0-9]", "", unique("f").lower())[-8:]
    made = {
        "level": CustomField(module="customers", name=f"level_{tag}", label=f"客户级别{tag}", kind="choice",
                             choices=[["a", "重要"], ["b", "一般"]], position=1),
        "budget": CustomField(module="customers", name=f"budget_{tag}", label=f"年度预算{tag}", kind="decimal",
                              position=2),
        "channel": CustomField(module="customers", name=f"channel_{tag}", label=f"渠道{tag}", kind="text",
                               default="直销", position=3),
        "project": CustomField(module="contracts", name=f"project_{tag}", label=f"项目编号{tag}", kind="text",
                               required=True, position=1),
        "signed": CustomField(module="contracts", name=f"signed_{tag}", label=f"已盖章{tag}", kind="boolean",
                              position=2),
    }
    db.session.add_all(made.values())
    db.session.commit()
    yield made
    db.session.execute(delete(CustomField).where(CustomField.id.in_([f.id for f in made.values()])))
    db.session.commit()


def _csv(header, rows, encoding="utf-8-sig") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _upload(client, module, data):
    return client.post(f"/{module}/import/upload", data={"file": (io.BytesIO(data), "x.csv")},
                       content_type="multipart/form-data")


def test_the_templates_have_the_custom_fields(org, login, fields):
    client = login(org.east_rep)
    wb = load_workbook(io.BytesIO(client.get("/customers/import/template.xlsx").data))
    header = [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))]
    assert header[-3:] == [fields["level"].label, fields["budget"].label, fields["channel"].label]
    assert '"重要,一般"' in [v.formula1 for v in wb.worksheets[0].data_validations.dataValidation]
    wb = load_workbook(io.BytesIO(client.get("/contracts/import/template.xlsx").data))
    header = [c.value for c in next(wb.worksheets[0].iter_rows(max_row=1))]
    assert header[-2:] == [fields["project"].label, fields["signed"].label]


def test_customers_imported_in_bulk_keep_their_custom_values(org, login, fields):
    names = [unique("自定义客户"), unique("自定义客户")]
    header = ["客户名称", fields["level"].label, fields["budget"].label, fields["channel"].label]
    client = login(org.east_rep)
    bad = _upload(client, "customers", _csv(header, [[names[0], "紧急", "很多", ""]])).get_data(as_text=True)
    assert 'data-row="2"' in bad and fields["level"].label in bad and fields["budget"].label in bad

    html = _upload(client, "customers", _csv(header, [[names[0], "重要", "¥12,000.50", ""],
                                                      [names[1], "b", "", "代理"]])).get_data(as_text=True)
    token = re.search(r"/customers/import/([\w-]+)/commit", html).group(1)
    assert client.post(f"/customers/import/{token}/commit").status_code == 302
    db.session.expire_all()
    first, second = (db.session.scalar(select(Customer).where(Customer.name == n)) for n in names)
    level, budget, channel = (fields[k].name for k in ("level", "budget", "channel"))
    assert first.custom[level] == "a" and Decimal(first.custom[budget]) == Decimal("12000.5")
    assert first.custom[channel] == "直销"            # an empty cell: the field's default
    assert second.custom == {level: "b", channel: "代理"}


def test_contracts_imported_through_the_service_keep_their_custom_values(org, login, fields):
    customer = make_customer(org.east_rep)
    marker = unique("自定义合同")
    header = ["合同名称", "客户", "合同金额", fields["project"].label, fields["signed"].label]
    client = login(org.east_rep)
    html = _upload(client, "contracts", _csv(header, [[f"{marker}-1", customer.code, "100", "", "是"]],
                                             "gbk")).get_data(as_text=True)
    assert 'data-row="2"' in html and fields["project"].label in html     # required
    html = _upload(client, "contracts", _csv(header, [[f"{marker}-1", customer.code, "100", "XM-001", "是"],
                                                      [f"{marker}-2", customer.code, "100", "XM-002", ""]],
                                             "gbk")).get_data(as_text=True)
    token = re.search(r"/contracts/import/([\w-]+)/commit", html).group(1)
    assert client.post(f"/contracts/import/{token}/commit").status_code == 302
    db.session.expire_all()
    first, second = (db.session.scalar(select(Contract).where(Contract.title == f"{marker}-{i}")) for i in (1, 2))
    assert first.custom == {fields["project"].name: "XM-001", fields["signed"].name: True}
    assert second.custom == {fields["project"].name: "XM-002"}
