"""订单统计: amounts of confirmed orders by month, customer, product, owner, department and region, and signed
contracts turned into orders — each in the user's data scope, narrowed by date, exported; drafts and cancelled
orders do not count; bad dates are a 400 in Chinese; those who may not read orders are refused."""
import datetime as dt
from decimal import Decimal

from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers.models import Customer
from app.modules.inventory import service as stock
from app.modules.orders import analysis, service
from app.modules.orders.models import SalesOrder, SalesOrderLine
from tests.factories import make_customer, make_user
from tests.modules.inventory.helpers import product, warehouse


def _confirmed(org, owner, price, region="华东", confirm=True):
    wh, item = warehouse(), product()
    stock.receive(org.admin, item.id, wh.id, 100)
    customer = make_customer(owner, region=region, credit_limit="0")
    order = service.create(owner, SalesOrder(customer_id=customer.id, warehouse_id=wh.id))
    service.save_line(owner, SalesOrderLine(order_id=order.id, product_id=item.id, quantity="1", unit_price=price,
                                            tax_rate="0"))
    if confirm:
        service.confirm(owner, order.id)
    return db.session.get(SalesOrder, order.id), item


def test_the_analysis_counts_confirmed_orders_in_scope(org, login):
    mine, item = _confirmed(org, org.east_rep, "300.00", region="浙江")
    _draft, _item = _confirmed(org, org.east_rep, "999.00", confirm=False)
    theirs, _other = _confirmed(org, org.south_rep, "500.00")
    filters = analysis.Filters()
    by_product = dict(analysis.rows("by_product", org.east_rep, filters))
    assert by_product[item.id] == Decimal("300.00") and _other.id not in by_product
    assert dict(analysis.rows("by_region", org.east_rep, filters)) == {"浙江": Decimal("300.00")}
    month = dt.date.today().strftime("%Y-%m")
    assert dict(analysis.rows("by_month", org.east_rep, filters))[month] == Decimal("300.00")
    # the sales manager sees both reps' orders (the admin's top customers hold every other test's orders too)
    everyone = dict(analysis.rows("by_customer", org.manager, filters))
    assert everyone[mine.customer_id] == Decimal("300.00") and everyone[theirs.customer_id] == Decimal("500.00")
    later = analysis.Filters(date_from=dt.date.today() + dt.timedelta(days=1))
    assert analysis.rows("by_customer", org.admin, later) == []

    client = login(org.east_rep)
    page = client.get("/orders_analysis/")
    assert page.status_code == 200 and "订单统计" in page.get_data(as_text=True)
    data = client.get("/orders_analysis/by_product.json").get_json()
    assert [item.name, "300.00"] in data["table"]
    exported = client.get("/orders_analysis/by_region.csv")
    assert exported.status_code == 200 and "浙江" in exported.get_data(as_text=True)
    bad = client.get("/orders_analysis/?date_from=昨天")
    assert bad.status_code == 400 and "请输入日期" in bad.get_data(as_text=True)
    assert client.get("/orders_analysis/nothing.json").status_code == 404
    assert login(make_user("Marketing", org.company)).get("/orders_analysis/by_product.json").status_code in (302, 403)


def test_kept_totals_show_what_grouping_the_orders_shows_after_every_change(org):
    """On PostgreSQL the charts without a date come from totals kept current by triggers: they must equal the
    grouping of the orders themselves (a date filter takes that path) after confirming, editing, cancelling."""
    import pytest

    from app.core.chart_cache import maintain

    if db.engine.dialect.name != "postgresql":
        pytest.skip("kept totals are a PostgreSQL feature; SQLite groups directly")
    maintain.ensure()
    first, _item = _confirmed(org, org.east_rep, "120.00")
    _confirmed(org, org.east_rep2, "80.00", confirm=False)                 # a draft counts nowhere
    gone, _other = _confirmed(org, org.south_rep, "45.50")
    service.cancel(org.south_rep, gone.id, "客户取消")
    service.prepare(org.east_rep, first.id)                                # a status change of a counted order
    _confirmed(org, org.east_rep2, "10.01")
    with unit_of_work(None):                                               # the customer moves to another region
        db.session.get(Customer, first.customer_id).region = "江苏"
    everything = analysis.Filters(date_from=dt.date(1900, 1, 1))           # the same orders, grouped directly
    for user in (org.manager, org.east_rep, org.east_rep2, org.south_rep):
        for name in set(analysis.KEPT) - {"conversion"}:                   # conversion: the next test
            kept = analysis._kept(name, user)
            assert kept is not None, "the totals are built"
            assert dict(kept) == dict(analysis.rows(name, user, everything)), (name, user)
    mine = dict(analysis.rows("by_owner", org.manager, analysis.Filters()))
    assert mine[org.east_rep.id] == Decimal("120.00") and mine[org.east_rep2.id] == Decimal("10.01")
    assert org.south_rep.id not in mine                                   # cancelled: nothing left
    assert analysis.rows("by_month", org.south_rep, analysis.Filters()) == []
    assert dict(analysis.rows("by_region", org.east_rep, analysis.Filters())) == {"江苏": Decimal("120.00")}
    assert dict(analysis.rows("by_product", org.east_rep, analysis.Filters())) == {_item.id: Decimal("120.00")}
    maintain.fold()
    assert dict(analysis._kept("by_customer", org.manager)) == dict(analysis.rows("by_customer", org.manager,
                                                                                   everything))


def _signed(owner):
    from app.modules.contracts import lines as contract_lines, service as contracts
    from app.modules.contracts.models import Contract, ContractLine
    from tests.modules.contracts.helpers import approved, make_contract

    contract = make_contract(owner)
    contract_lines.save_line(owner, ContractLine(contract_id=contract.id, product_id=product().id, quantity="2",
                                                 unit_price="100.00", tax_rate="13"))
    contract = approved(db.session.get(Contract, contract.id))
    contracts.mark_signed(owner, [db.session.get(Contract, contract.id)])
    return db.session.get(Contract, contract.id)


def _conversion(client) -> dict:
    return {label: value for label, value in client.get("/orders_analysis/conversion.json").get_json()["table"]}


def test_signed_contracts_turned_into_orders_count_each_contract_once(org, login):
    from tests.modules.contracts.helpers import make_contract

    from app.core.chart_cache import maintain

    maintain.ensure()                                                      # PostgreSQL: from kept totals
    one, two = _signed(org.east_rep), _signed(org.east_rep)
    make_contract(org.east_rep)                                            # a draft is no signed contract
    client = login(org.east_rep)
    assert _conversion(client) == {"尚未下单": "2"}
    orders = [service.from_contract(org.east_rep, one.id)]
    assert _conversion(client) == {"尚未下单": "2"}                          # a draft order does not count
    with unit_of_work(None):
        db.session.get(SalesOrder, orders[0].id).status = "confirmed"
    assert _conversion(client) == {"已转为订单": "1", "尚未下单": "1"}
    with unit_of_work(None):
        db.session.get(SalesOrder, orders[0].id).status = "completed"      # still the same one contract
    assert _conversion(client) == {"已转为订单": "1", "尚未下单": "1"}
    with unit_of_work(None):
        db.session.get(SalesOrder, orders[0].id).status = "cancelled"
    assert _conversion(client) == {"尚未下单": "2"}
    dated = client.get(f"/orders_analysis/conversion.json?date_from={dt.date.today():%Y-%m-%d}").get_json()
    assert dated["table"] == [["尚未下单", "2"]]                              # the same, grouped directly
    if db.engine.dialect.name == "postgresql":
        assert sum(n for _count, n in analysis._kept("conversion", org.east_rep)) == 2
    assert two.order_count == 0
    assert _conversion(login(org.south_rep)) == {}                          # the others' contracts are not theirs
