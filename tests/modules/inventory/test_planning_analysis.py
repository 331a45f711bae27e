"""库存分析: forecasts on known series, ABC on a known set, days of cover and turnover in Decimal, the figures
from real moves, reorder suggestions and their export, and who may read which figures."""
import datetime as dt
from decimal import Decimal

from app.extensions import db
from app.modules.inventory import service
from tests.factories import make_user
from tests.modules.inventory import test_planning_safety  # noqa: F401  (the planning screens in the app)
from tests.modules.inventory.helpers import product, warehouse

from app.modules.inventory import analysis, forecast  # noqa: E402
from app.modules.inventory.safety import set_line  # noqa: E402

D = Decimal


# -- forecasts ------------------------------------------------------------------------------------
def test_a_constant_series_is_forecast_exactly_with_no_error():
    result = forecast.forecast([7] * 12, horizon=4, holdout=4)
    assert result.method == "holt" and result.values == [D("7.00")] * 4
    assert (result.mae, result.mape) == (D("0.00"), D("0.00"))


def test_a_linear_trend_is_forecast_on_the_line():
    series = [10 + 2 * week for week in range(16)]                   # 10, 12, ... 40
    result = forecast.forecast(series, horizon=3, holdout=4)
    assert result.values == [D("42.00"), D("44.00"), D("46.00")]
    assert result.mae == D("0.00") and [a for a, _p in result.held_out] == [D(34), D(36), D(38), D(40)]


def test_a_noisy_trend_is_forecast_within_a_small_error():
    series = [20 + 3 * week + (1 if week % 2 else -1) for week in range(20)]
    result = forecast.forecast(series, horizon=2, holdout=4)
    for step, value in enumerate(result.values, start=1):
        assert abs(value - D(20 + 3 * (19 + step))) <= 3
    assert result.mae <= 3 and result.mape <= 5


def test_short_histories_fall_back_to_their_mean_and_errors_skip_weeks_without_sales():
    assert forecast.forecast([4, 6], horizon=2).values == [D("5.00"), D("5.00")]
    assert forecast.forecast([4, 6], horizon=2).method == "moving_average"
    assert forecast.forecast([], horizon=1).values == [D("0.00")]
    # |10−8| = 2, |0−1| = 1 → MAE 1.5; MAPE only over the week that shipped: 2/10 = 20%
    assert forecast.errors([10, 0], [8, 1]) == (D("1.50"), D("20.00"))
    assert forecast.forecast([30, 20, 10, 0, 0, 0], horizon=2, holdout=0).values[1] == D("0.00")   # never negative


# -- arithmetic -----------------------------------------------------------------------------------
def test_abc_classes_of_a_known_set_are_80_15_5():
    values = {"p1": D(50), "p2": D(30), "p3": D(10), "p4": D(5), "p5": D(3), "p6": D(2), "idle": D(0)}
    assert analysis.abc_classes(values) == {"p1": "A", "p2": "A", "p3": "B", "p4": "B", "p5": "C", "p6": "C",
                                            "idle": "C"}
    assert analysis.abc_classes({"only": D(9)}) == {"only": "A"}


def test_days_of_cover_turnover_and_value_are_decimal():
    assert analysis.days_of_cover(D(45), D(90), 30) == D("15.0")          # 90 in 30 days: 3 a day
    assert analysis.days_of_cover(D(10), D(7), 30) == D("42.9")           # 10 ÷ (7 / 30)
    assert analysis.days_of_cover(D(10), D(0), 30) is None                # no sales: no end
    assert analysis.turnover(D(90), 30, D(45)) == D("24.33")              # 3 × 365 ÷ 45
    assert analysis.turnover(D(90), 30, D(0)) is None
    assert analysis.stock_value(D("3.5"), D("19.99")) == D("69.97") and analysis.stock_value(D(1), None) is None
    assert all(isinstance(v, Decimal) for v in (analysis.days_of_cover(D(1), D(1), 7), analysis.turnover(1, 7, 1)))


# -- from real moves ------------------------------------------------------------------------------
def _stocked(org):
    """Two products in a warehouse: one shipping (cost 20), one idle (cost 5)."""
    wh = warehouse()
    moving, idle = product(), product()
    moving.cost, idle.cost = D("20.00"), D("5.00")
    db.session.commit()
    service.receive(org.admin, moving.id, wh.id, 100)
    service.receive(org.admin, idle.id, wh.id, 40)
    service.ship(org.admin, moving.id, wh.id, 30)
    service.reserve(org.admin, "order", f"SO-{moving.id}", moving.id, wh.id, 10)
    return wh, moving, idle


def test_stock_overview_abc_and_slow_movers_from_moves(org):
    wh, moving, idle = _stocked(org)
    tomorrow = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=1)
    filters = analysis.Filters(warehouse_id=wh.id, days=30, today=tomorrow)
    rows = {r["product_id"]: r for r in analysis.stock_overview(filters)}
    row = rows[moving.id]
    assert (row["on_hand"], row["available"], row["value"], row["shipped"]) == (D(70), D(60), D("1400.00"), D(30))
    assert row["days_of_cover"] == D("60.0") and row["turnover"] == D("5.21")   # 60 ÷ 1; 365 ÷ 70
    assert rows[idle.id]["value"] == D("200.00") and rows[idle.id]["days_of_cover"] is None
    assert list(rows) == [moving.id, idle.id]                                   # largest value first
    abc = analysis.abc(filters)
    assert [(r["product_id"], r["class"], r["value"]) for r in abc["rows"]] == [(moving.id, "A", D("600.00"))]
    assert abc["counts"] == {"A": 1, "B": 0, "C": 1}
    slow = analysis.slow_movers(filters)
    assert [(r["product_id"], r["last_shipment"]) for r in slow] == [(idle.id, None)]
    weekly = analysis.weekly_shipments([moving.id], 4, today=tomorrow)
    assert weekly[moving.id] == [D(0), D(0), D(0), D(30)]


def test_reorder_suggestions_list_lines_below_the_line_or_short_of_the_forecast(org):
    wh, moving, idle = _stocked(org)
    set_line(org.admin, moving.id, wh.id, 80, reorder_qty=50, lead_time_days=7)   # available 60 < 80
    set_line(org.admin, idle.id, wh.id, 10, reorder_qty=5)                        # 40: fine
    lines = analysis.reorder_suggestions(warehouse_id=wh.id)
    assert [(s["product_id"], s["quantity"]) for s in lines] == [(moving.id, D(50))]
    assert lines[0]["available"] == D(60) and lines[0]["warning_line"] == D(80) and lines[0]["reason"]


# -- screens and permissions ----------------------------------------------------------------------
def test_warehouse_purchasing_and_managers_read_the_analysis_with_values(org, login):
    wh, moving, _idle = _stocked(org)
    set_line(org.admin, moving.id, wh.id, 80, reorder_qty=50)
    for user in (make_user("Warehouse", org.company), make_user("Purchasing", org.company), org.manager):
        client = login(user)
        page = client.get(f"/inventory_analysis/?warehouse={wh.id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "库存分析" in html and 'id="chart-value"' in html and "1,400.00" in html and "霍尔特" in html
        assert client.get(f"/inventory_analysis/chart/value.json?warehouse={wh.id}").status_code == 200
        assert client.get(f"/inventory_analysis/chart/abc.json?warehouse={wh.id}").get_json()["option"]
        data = client.get(f"/inventory_analysis/forecast/{moving.id}.json").get_json()
        assert data["method"] == "holt" and len(data["forecast"]) == 4
        export = client.get(f"/inventory_analysis/suggestions.csv?warehouse={wh.id}")
        assert export.status_code == 200 and moving.sku in export.get_data(as_text=True)


def test_sales_reads_quantities_but_no_cost_or_value(org, login):
    wh, moving, _idle = _stocked(org)
    client = login(org.east_rep)
    page = client.get(f"/inventory_analysis/?warehouse={wh.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert moving.sku in html and 'id="chart-value"' not in html and "1,400.00" not in html and "库存金额" not in html
    assert client.get(f"/inventory_analysis/chart/value.json?warehouse={wh.id}").status_code in (302, 403)
    assert client.get("/inventory_values/by_warehouse.json").status_code in (302, 403)
    assert client.get(f"/inventory_analysis/suggestions.csv?warehouse={wh.id}").status_code in (302, 403)


def test_roles_without_the_analysis_are_refused(org, login):
    for user in (org.readonly, make_user("Marketing", org.company)):
        client = login(user)
        assert client.get("/inventory_analysis/").status_code in (302, 403)
        assert client.get("/inventory_analysis/chart/abc.json").status_code in (302, 403)
        assert client.get("/inventory_values/by_warehouse.json").status_code in (302, 403)


def test_bad_filters_are_refused_in_chinese(org, login):
    client = login(org.manager)
    resp = client.get("/inventory_analysis/?days=3")
    assert resp.status_code == 400 and "请输入" in resp.get_data(as_text=True)
    assert client.get("/inventory_analysis/chart/nothing.json").status_code == 404
    assert client.get("/inventory_analysis/forecast/999999999.json").status_code == 404
