"""A list page is light and steady: opened with an empty cache it costs under 300 KB on the wire
(HTML, styles, scripts, fonts, images, everything it asks for), opened again under 50 KB (the
assets come from the browser's cache without a request), and nothing moves once it has loaded.

The figures are printed, so the test log says how heavy the page is and what weighs most."""
from __future__ import annotations

import pytest
from sqlalchemy import select

FIRST_LOAD_LIMIT = 300 * 1024
AGAIN_LIMIT = 50 * 1024
CLS_LIMIT = 0.02
LIST = "/customers/list/"

# Every layout shift from the first paint on, in window.__zwtShifts as [time, value, what moved].
LAYOUT_SHIFTS = """
window.__zwtShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.hadRecentInput) continue;
    const moved = (entry.sources || []).map((s) => {
      const n = s.node;
      if (!n || !n.tagName) return '?';
      return n.tagName.toLowerCase() + (n.id ? '#' + n.id : '') +
        (typeof n.className === 'string' && n.className ? '.' + n.className.trim().split(/\\s+/).join('.') : '');
    });
    window.__zwtShifts.push([entry.startTime, entry.value, moved.join(' ')]);
  }
}).observe({type: 'layout-shift', buffered: true});
"""


@pytest.fixture(scope="module")
def customers(app):
    """A full first page of customers, as an office has."""
    from app.core.org import User
    from app.extensions import db
    from tests.factories import make_customer

    with app.app_context():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        for n in range(25):
            make_customer(admin, f"页面重量测试客户{n:02d}有限公司", phone=f"1380000{n:04d}")
        db.session.remove()


class Wire:
    """Bytes each response of one page took on the wire (headers and encoded body), from the
    browser's own network events."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.urls: dict[str, str] = {}
        self.bytes: dict[str, float] = {}
        self.cdp.on("Network.requestWillBeSent", lambda e: self.urls.__setitem__(e["requestId"], e["request"]["url"]))
        self.cdp.on("Network.loadingFinished", lambda e: self.bytes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def reset(self) -> None:
        self.urls.clear()
        self.bytes.clear()

    def total(self) -> int:
        return int(sum(self.bytes.values()))

    def heaviest(self, n: int = 8) -> list[str]:
        rows = sorted(((size, self.urls.get(rid, "?")) for rid, size in self.bytes.items()), reverse=True)
        return [f"{int(size):>9,} B  {url.split('?')[0]}" for size, url in rows[:n]]


def _report(request, lines: list[str]) -> None:
    """Figures in the test log, whether the test passes or fails."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        print("\n".join(lines))
        return
    reporter.write_line("")
    for line in lines:
        reporter.write_line(line)


def _open(page, wire: Wire) -> None:
    wire.reset()
    page.goto(LIST, wait_until="networkidle")
    page.wait_for_timeout(1000)      # shifts after load would show in this second
    page.wait_for_load_state("networkidle")


def test_the_customer_list_is_light_and_steady(as_admin, customers, request):
    page = as_admin
    page.add_init_script(LAYOUT_SHIFTS)
    wire = Wire(page)
    wire.cdp.send("Network.clearBrowserCache")

    _open(page, wire)
    first, first_heaviest, first_count = wire.total(), wire.heaviest(), len(wire.bytes)
    shifts = page.evaluate("window.__zwtShifts")
    load_end = page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")
    after_load = [s for s in shifts if s[0] >= load_end]
    cls = sum(value for _t, value, _what in shifts)
    cls_after_load = sum(value for _t, value, _what in after_load)

    _open(page, wire)
    again, again_heaviest, again_count = wire.total(), wire.heaviest(4), len(wire.bytes)

    _report(request, [
        f"customer list, empty cache: {first:,} B in {first_count} responses (limit {FIRST_LOAD_LIMIT:,} B)",
        *first_heaviest,
        f"customer list again: {again:,} B in {again_count} responses (limit {AGAIN_LIMIT:,} B)",
        *again_heaviest,
        f"layout shift: {cls:.4f} from first paint, {cls_after_load:.4f} after load (limit {CLS_LIMIT})",
        *(f"  shift {value:.4f} at {t:.0f} ms: {what}" for t, value, what in shifts),
    ])
    assert page.locator("table, .zwt-card").first.is_visible(), "the list did not render"
    assert first < FIRST_LOAD_LIMIT, f"the list page weighs {first:,} B on first load"
    assert again < AGAIN_LIMIT, f"the list page weighs {again:,} B when opened again"
    assert cls < CLS_LIMIT, f"the page moved after it was painted (CLS {cls:.4f}): {shifts}"
