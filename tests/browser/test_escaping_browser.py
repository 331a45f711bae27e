"""Typed text stays text in a real browser: the pages showing a customer, contact, tag, comment,
contract, approval, chain, department and user whose text is an HTML payload are opened in
Chromium, including chart tooltips (ECharts draws them as HTML) and Select2 drop-downs (which
can draw options as HTML), and no payload runs: no dialog opens and no <img src=x> or injected
<script> reaches the DOM, while the payload is readable on the page as typed."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ADMIN, log_in
from tests.factories import PASSWORD
from tests.test_escaping import BOTH, IMG, SCRIPT, build_world, restore_shipped_chain

INJECTED = """() => Array.from(document.querySelectorAll('img, script, svg, iframe, a'))
    .filter(el => el.getAttribute('src') === 'x' || el.hasAttribute('onerror')
                  || (el.tagName === 'SCRIPT' && el.textContent.trim() === 'alert(1)')
                  || /^\\s*javascript:alert/i.test(el.getAttribute('href') || ''))
    .map(el => el.outerHTML.slice(0, 200))"""


@pytest.fixture(scope="module")
def world(app):
    data = build_world(app)
    yield data
    restore_shipped_chain(app)


@pytest.fixture
def dialogs(page):
    """Every alert/confirm/prompt the pages open (a payload that ran)."""
    opened = []

    def _dialog(dialog):
        if dialog.type == "beforeunload":   # the question before leaving a changed form: no payload
            dialog.accept()
            return
        opened.append(f"{page.url}: {dialog.type} {dialog.message}")
        dialog.dismiss()

    page.on("dialog", _dialog)
    return opened


def assert_inert(page, dialogs, where: str, readable: str | None = IMG) -> None:
    """Nothing typed ran or became an element, and the payload reads as typed."""
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)   # an onerror handler fires once the broken image has failed
    assert dialogs == [], f"{where}: a payload ran: {dialogs}"
    assert page.evaluate(INJECTED) == [], f"{where}: typed text became elements"
    if readable:
        assert readable in page.evaluate("() => document.body.innerText"), f"{where}: {readable!r} is not readable"


PAGES = [
    ("rep", "/customers/list/"),
    ("rep", "/customers/show/{customer}"),
    ("rep", "/customer_timeline/{customer}/"),
    ("rep", "/customer_profile/{customer}/"),
    ("rep", "/contacts/show/{contact}"),
    ("rep", "/interactions/show/{interaction}"),
    ("rep", "/contracts/show/{contract}"),
    ("rep", "/approvals/?tab=submitted"),
    ("rep", "/notifications/"),
    ("mgr2", "/approvals/"),
    ("mgr2", "/approvals/task/{task}"),
    ("mgr", "/notifications/"),
    ("admin", "/tags/list/"),
    ("admin", "/customers/duplicates/merge?id={customer}&id={duplicate}"),
    ("admin", "/workflows/{chain}/"),
    ("admin", "/departments/show/{dept}"),
    ("admin", "/users/list/?_flt_0_username={rep}"),
    ("admin", "/mail_outbox/list/"),
    ("admin", "/registrations/"),
]


def _sign_in(page, world, who: str) -> None:
    if who == "admin":
        log_in(page, *ADMIN)
    else:
        log_in(page, {"rep": world.rep, "mgr": world.mgr, "mgr2": world.mgr2}[who], PASSWORD)


@pytest.mark.parametrize("who", sorted({w for w, _p in PAGES}))
def test_pages_with_typed_payloads_run_nothing(page, dialogs, world, who):
    _sign_in(page, world, who)
    assert_inert(page, dialogs, "the page after signing in", readable=None)
    for path in [p for w, p in PAGES if w == who]:
        url = path.format(**vars(world))
        page.goto(url)
        assert_inert(page, dialogs, url)
        # Tabs of a show page (contacts, contracts, timeline, comments, approvals) are shown too.
        for tab in page.locator("#zwt-show-tabs a[data-toggle=tab]").all():
            tab.click()
            assert_inert(page, dialogs, f"{url} {tab.inner_text()}", readable=None)


def _chart_tooltip(page, chart_id: str, label: str) -> str:
    """Hover the data point named `label` of a drawn chart; the tooltip's HTML."""
    page.wait_for_function(f"() => document.getElementById('{chart_id}').getAttribute('data-rendered') === '1'")
    return page.evaluate("""([id, label]) => {
        const el = document.getElementById(id);
        const chart = echarts.getInstanceByDom(el);
        const option = chart.getOption();
        const names = option.xAxis && option.xAxis[0] && option.xAxis[0].data.length
            ? option.xAxis[0].data.map(n => (typeof n === 'object' ? n.value : n))
            : option.series[0].data.map(d => d.name);
        const index = names.indexOf(label);
        if (index < 0) { return 'label not found: ' + JSON.stringify(names); }
        chart.dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex: index});
        return index;
    }""", [chart_id, label])


def test_chart_tooltips_show_typed_labels_as_text(page, dialogs, world):
    """Customers by region and by owner: the region and the owner's name are the payload."""
    _sign_in(page, world, "rep")
    page.goto("/customer_analysis/")
    for chart_id, label in (("chart-region", IMG), ("chart-owner", None)):
        if label is None:   # the owner's display name: family name then given name
            label = page.evaluate("""() => echarts.getInstanceByDom(document.getElementById('chart-owner'))
                .getOption().xAxis[0].data.find(n => n.startsWith('<img'))""")
        index = _chart_tooltip(page, chart_id, label)
        assert isinstance(index, int), index
        page.wait_for_timeout(300)   # the tooltip is drawn on the next frame
        assert_inert(page, dialogs, f"the tooltip of {chart_id}", readable=None)
        tooltip = page.locator(f"#{chart_id} > div").filter(has_text="alert(1)")
        expect(tooltip.first).to_be_visible()
        assert label in tooltip.first.inner_text()


def test_user_statistics_tooltips_show_department_names_as_text(page, dialogs, world):
    _sign_in(page, world, "admin")
    page.goto("/user_stats/")
    label = f"{BOTH}销售部{world.marker}"
    index = _chart_tooltip(page, "chart-departments", label)
    assert isinstance(index, int), index
    page.wait_for_timeout(300)
    assert_inert(page, dialogs, "the tooltip of users by department", readable=None)
    tooltip = page.locator("#chart-departments > div").filter(has_text="alert(1)")
    expect(tooltip.first).to_be_visible()
    assert label in tooltip.first.inner_text()


def test_select2_drop_downs_show_typed_names_as_text(page, dialogs, world):
    """The contract form's customer search and the customer list's tag and owner filters."""
    _sign_in(page, world, "rep")
    page.goto("/contracts/add")
    page.locator("#select2-customer-container").click()
    page.locator(".select2-container--open .select2-search__field").fill(world.marker)
    option = page.locator(".select2-results__option").filter(has_text="alert(1)")
    expect(option.first).to_be_visible()
    assert option.first.inner_text().startswith(BOTH)
    assert_inert(page, dialogs, "the customer search of the contract form")
    option.first.click()
    expect(page.locator("#select2-customer-container")).to_contain_text(BOTH)
    assert_inert(page, dialogs, "the chosen customer")

    page.goto("/customers/list/")
    page.locator("a.accordion-toggle").click()
    form = page.locator("#filter_form")
    for column in ("tags", "owner", "department"):
        form.locator("button.dropdown-toggle").click()
        form.locator(f"a.filter[name={column}]").click()
        form.locator("table.filters .select2-selection").last.click()
        expect(page.locator(".select2-container--open .select2-results__option").first).to_be_visible()
        assert_inert(page, dialogs, f"the {column} filter's drop-down", readable=None)
        texts = page.locator(".select2-container--open .select2-results__option").all_inner_texts()
        assert any("alert(1)" in t for t in texts), (column, texts)
        page.keyboard.press("Escape")
