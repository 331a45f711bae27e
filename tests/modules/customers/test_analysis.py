"""Customer analysis: charts aggregated in SQL with their tables, in the user's data scope,
narrowed by date range and department, exportable; the customer profile."""
import csv
import datetime as dt
import io

from app.core.clock import utcnow
from app.extensions import db
from app.modules.customers import analysis, grading, interactions, service
from app.modules.customers.analysis import Filters
from app.modules.customers.models import Customer, Interaction
from tests.conftest import unique
from tests.factories import make_customer, make_department, make_user


def _count(rows, key):
    return dict(rows).get(key, 0)


def test_grade_and_industry_counts_follow_the_users_scope(org):
    region = unique("测试省")
    for owner in (org.east_rep, org.east_rep, org.south_rep):
        make_customer(owner, region=region, industry="energy")
    assert _count(analysis.rows("region", org.east_rep, Filters()), region) == 2
    assert _count(analysis.rows("region", org.manager, Filters()), region) == 3
    assert _count(analysis.rows("region", org.admin, Filters()), region) == 3


def test_department_filter_takes_sub_departments_and_date_range_takes_local_days(org):
    region = unique("部门省")
    east = make_customer(org.east_rep, region=region)
    make_customer(org.south_rep, region=region)
    assert _count(analysis.rows("region", org.admin, Filters(department_id=org.sales.id)), region) == 2
    assert _count(analysis.rows("region", org.admin, Filters(department_id=org.east.id)), region) == 1
    row = db.session.get(Customer, east.id)
    row.created_at = dt.datetime(2025, 3, 31, 17, 0)  # 1 April 01:00 in Shanghai
    db.session.commit()
    april = Filters(date_from=dt.date(2025, 4, 1), date_to=dt.date(2025, 4, 30))
    assert _count(analysis.rows("region", org.admin, april), region) == 1
    march = Filters(date_from=dt.date(2025, 3, 1), date_to=dt.date(2025, 3, 31))
    assert _count(analysis.rows("region", org.admin, march), region) == 0


def test_new_and_lost_customers_per_month(org):
    dept = make_department(unique("月度部"), org.sales)
    rep = make_user("Sales", dept, org.manager)
    first = make_customer(rep)
    second = make_customer(rep)
    for customer, created in ((first, dt.datetime(2025, 1, 10)), (second, dt.datetime(2025, 3, 10))):
        db.session.get(Customer, customer.id).created_at = created
    db.session.commit()
    service.mark_lost(rep, [db.session.get(Customer, second.id)])
    mine = Filters(department_id=dept.id)
    assert analysis.rows("new_by_month", org.admin, mine) == [("2025-01", 1), ("2025-02", 0), ("2025-03", 1)]
    this_month = utcnow().strftime("%Y-%m")
    assert analysis.rows("lost_by_month", org.admin, mine) == [(this_month, 1)]


def test_owner_chart_names_owners_and_the_pool(org):
    dept = make_department(unique("负责人部"), org.sales)
    rep = make_user("Sales", dept, org.manager)
    make_customer(rep)
    rows = analysis.rows("owner", org.admin, Filters(department_id=dept.id))
    label = analysis.labeller("owner")
    assert [(label(k), v) for k, v in rows] == [(rep.display_name, 1)]
    assert label(None) in ("公海", "Shared pool")


def test_analysis_page_json_and_export_for_a_sales_user(org, login):
    region = unique("导出省")
    make_customer(org.east_rep, region=region)
    make_customer(org.east_rep2, region=region)
    client = login(org.east_rep)
    page = client.get("/customer_analysis/")
    assert page.status_code == 200 and "chart-grade" in page.get_data(as_text=True)
    data = client.get("/customer_analysis/region.json").get_json()
    assert [region, "1"] in data["table"] and data["option"]["series"]
    csv_text = client.get("/customer_analysis/region.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert [region, "1"] in rows[1:]
    xlsx = client.get("/customer_analysis/grade.xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert client.get("/customer_analysis/nonsense.json").status_code == 404


def test_users_without_export_permission_cannot_export_the_tables(org, login):
    client = login(org.readonly)
    assert client.get("/customer_analysis/region.json").status_code == 200
    assert client.get("/customer_analysis/region.csv").status_code in (302, 403)


def test_profile_shows_totals_last_interaction_and_grade_history(org, login):
    customer = make_customer(org.east_rep, cooperating_since=dt.date(2022, 1, 1))
    grading.record_amounts(None, customer.id, paid_12m="1500000", total_ordered="2000000", total_paid="1500000",
                           total_outstanding="500000")
    grading.regrade(None, [customer.id])
    interactions.log_interaction(org.east_rep, Interaction(customer_id=customer.id, kind="visit", subject="年度拜访"))
    client = login(org.east_rep)
    html = client.get(f"/customer_profile/{customer.id}/").get_data(as_text=True)
    assert "2,000,000.00" in html and "500,000.00" in html and "1,500,000.00" in html
    assert "→ A" in html and "zwt-profile-grade" in html
    assert "拜访" in html or "Visit" in html
    chart = client.get(f"/customer_profile/{customer.id}/grades.json").get_json()
    assert chart["option"]["series"][0]["data"] == ["A"]
    other = login(org.east_rep2)
    assert other.get(f"/customer_profile/{customer.id}/").status_code == 404
    assert other.get(f"/customer_profile/{customer.id}/grades.json").status_code == 404
