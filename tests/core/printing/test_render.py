"""The print template sandbox, the amount filters and the PDF drawn with an embedded Chinese font."""
from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal

import pytest

from app.core.printing import render
from tests.core.printing.helpers import embedded_fonts, page_count, pdf_text


@pytest.mark.parametrize("amount, words", [
    ("12345.67", "壹万贰仟叁佰肆拾伍元陆角柒分"),
    (Decimal("100"), "壹佰元整"),
    (Decimal("0"), "零元整"),
    ("0.00", "零元整"),
    ("-5.50", "负伍元伍角"),
    ("0.57", "伍角柒分"),
    ("0.05", "伍分"),
    ("100.05", "壹佰元零伍分"),
    ("10010", "壹万零壹拾元整"),
    ("1000000", "壹佰万元整"),
    ("100010000", "壹亿零壹万元整"),
    ("100000001", "壹亿零壹元整"),
    ("1,234,567.8", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角"),
    ("2.005", "贰元零壹分"),                      # half up at the cent
    ("9999999999999999.99", "玖仟玖佰玖拾玖万亿玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
])
def test_amounts_are_written_in_chinese_capitals(ctx, amount, words):
    assert render.rmb_upper(amount) == words


def test_an_amount_beyond_the_money_columns_is_refused_not_misspelt(ctx):
    with pytest.raises(ValueError):
        render.rmb_upper("10000000000000000")
    with pytest.raises(ValueError):
        render.rmb_upper("abc")


def test_money_and_date_filters(ctx):
    assert render.money(Decimal("1234567.805")) == "1,234,567.81"
    assert render.money(None) == ""
    assert render.chinese_date(dt.date(2026, 1, 5)) == "2026年01月05日"
    # Times are stored in UTC and printed in China's time zone: 20:00 UTC is the next morning there.
    assert render.chinese_datetime(dt.datetime(2026, 1, 5, 20, 0)) == "2026-01-06 04:00"


ESCAPES = [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ config }}",
    "{{ config.SECRET_KEY }}",
    "{{ request }}",
    "{{ request.environ }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__ }}",
    "{% include '/etc/passwd' %}",
    "{% import '/etc/passwd' as p %}",
    "{% extends '/etc/passwd' %}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ record.__class__ }}",
    "{{ record.items.__self__ }}",
    "{{ range.__globals__ }}",
    "{{ g }}",
    "{{ url_for }}",
    "{{ 'x' * 1000000 }}",
    "{{ 2 ** 1000000 }}",
    "{{ ((2 ** 100) ** 100) ** 100 }}",
    "{% for i in range(10000000) %}{% endfor %}",
    "{% set d = {} %}{% do d.update({'a': 1}) %}",
    "{{ {}.update(a=1) }}",
]


@pytest.mark.parametrize("payload", ESCAPES)
def test_a_template_cannot_reach_python_the_app_or_the_files(ctx, payload):
    with pytest.raises(render.TemplateProblem) as caught:
        render.render_html(payload, {"record": {"name": "客户"}})
    message = caught.value.message
    assert message and "root:" not in message and "SECRET" not in message.upper().replace("CONFIG.SECRET_KEY", "")
    assert "第 " in message and " 行" in message     # which line, in Chinese


def test_a_template_that_does_not_compile_says_on_which_line(ctx):
    body = "<h1>{{ record.name }}</h1>\n<p>\n{% if record.name %}x{% endif %}\n<b>{{ record.amount|money( }}</b>\n"
    with pytest.raises(render.TemplateProblem) as caught:
        render.check_template(body)
    assert caught.value.line == 4
    assert "4" in caught.value.message
    with pytest.raises(render.TemplateProblem) as caught:
        render.check_template("<p>\n{% if record.name %}\n<b>x</b>\n")
    assert caught.value.line == 2      # the block left open


def test_the_pdf_holds_the_chinese_text_amounts_pages_and_an_embedded_chinese_font(ctx):
    body = ("<h1>采购合同 {{ record.code }}</h1><p>金额：¥{{ record.amount|money }}，大写：{{ record.amount|rmb_upper }}</p>"
            "<p>签订日期：{{ record.signed_on|date }}</p><pdf:nextpage /><p>第二页：{{ record.customer.name }}</p>")
    data = render.render_pdf(body, {"record": {"code": "HT-2026-00001", "amount": Decimal("12345.67"),
                                               "signed_on": dt.date(2026, 3, 8), "customer": {"name": "上海示例贸易有限公司"}}})
    text = pdf_text(data)
    assert "采购合同 HT-2026-00001" in text
    assert "12,345.67" in text and "壹万贰仟叁佰肆拾伍元陆角柒分" in text
    assert "2026年03月08日" in text and "上海示例贸易有限公司" in text
    assert page_count(data) == 2
    fonts = embedded_fonts(data)
    assert any("WenQuanYi" in name and embedded for name, embedded in fonts.items()), fonts


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_pdffonts_reports_the_chinese_font_embedded(ctx, tmp_path):
    path = tmp_path / "doc.pdf"
    path.write_bytes(render.render_pdf("<p>中文客户</p>", {}))
    listing = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    line = next(line for line in listing.splitlines() if "WenQuanYi" in line)
    assert line.split()[-5] == "yes"     # the emb column


def test_a_document_cannot_read_local_files_or_the_network(ctx, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = (f'<link rel="stylesheet" href="file://{secret}"><img src="{secret}"><img src="/etc/passwd">'
            '<img src="http://127.0.0.1:1/x.png"><p>正文</p>')
    data = render.render_pdf(body, {})
    assert "TOPSECRET" not in pdf_text(data) and "root:" not in pdf_text(data)
    assert "正文" in pdf_text(data)


def test_a_document_whose_template_file_is_missing_fails_at_start_up(ctx):
    import dataclasses

    from app.core.registry import registry
    from app.core.spec import DocumentSpec, check_spec

    contracts = registry.get("contracts")
    assert [a.name for a in contracts.actions].count("print") == 1       # the 打印 action, added once
    broken = dataclasses.replace(contracts, documents=[*contracts.documents,
                                                       DocumentSpec("receipt", "收据", "/nonexistent/receipt.html"),
                                                       DocumentSpec("receipt", "收据", "/nonexistent/receipt.html")])
    errors = check_spec(broken, registry.specs)
    assert any(e.startswith("spec.E061 contracts: document 'receipt'") for e in errors)
    assert any(e.startswith("spec.E060 contracts: document 'receipt' is declared twice") for e in errors)
    assert [a.name for a in broken.actions].count("print") == 1
