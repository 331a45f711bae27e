"""Text searches match what the user typed, character for character: "%" and "_" are not
wildcards (searching a name for "%" used to list every customer), in the list screen, its
export and charts, and the API, for every "contains / starts with / ends with" filter."""
from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.factories import make_customer

# FAB's filters of a text column, by position in the screen's URL (_flt_<n>_name).
STARTS, ENDS, CONTAINS, NOT_STARTS, NOT_ENDS, NOT_CONTAINS = 0, 1, 2, 4, 5, 6


@pytest.fixture
def names(org):
    token = unique("lit")
    made = {
        "percent": f"{token} 100%纯利",
        "underscore": f"{token} a_b贸易",
        "backslash": f"{token} 路径\\盘",
        "plain": f"{token} 普通xy客户",
        "other": f"{token} 1000纯利",
    }
    for name in made.values():
        make_customer(org.east_rep, name=name)
    return token, made


def _listed(client, query, made):
    resp = client.get(f"/customers/list/?psize_CustomerView=100&{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)[:300]
    body = resp.get_data(as_text=True)
    return {key for key, name in made.items() if name.replace("\\", "&#92;") in body or name in body}


def _api_names(client, headers, filters, made):
    resp = client.get(f"/api/v1/customers/?q=(page_size:100,filters:!({filters}))", headers=headers)
    assert resp.status_code == 200, resp.get_json()
    found = {row["name"] for row in resp.get_json()["result"]}
    return {key for key, name in made.items() if name in found}


def test_searching_a_name_for_percent_or_underscore_finds_only_names_containing_them(org, login, names):
    token, made = names
    client = login(org.admin)
    assert _listed(client, f"_flt_{CONTAINS}_name=%25&_flt_{STARTS}_name={token}", made) == {"percent"}
    assert _listed(client, f"_flt_{CONTAINS}_name=_&_flt_{STARTS}_name={token}", made) == {"underscore"}
    assert _listed(client, f"_flt_{CONTAINS}_name=a_b&_flt_{STARTS}_name={token}", made) == {"underscore"}
    assert _listed(client, f"_flt_{CONTAINS}_name=%5C&_flt_{STARTS}_name={token}", made) == {"backslash"}
    assert _listed(client, f"_flt_{ENDS}_name=%25纯利&_flt_{STARTS}_name={token}", made) == {"percent"}
    assert _listed(client, f"_flt_{NOT_CONTAINS}_name=%25&_flt_{STARTS}_name={token}", made) == \
        {"underscore", "backslash", "plain", "other"}
    assert _listed(client, f"_flt_{STARTS}_name={token} 100%25", made) == {"percent"}
    assert _listed(client, f"_flt_{NOT_STARTS}_name={token} 1&_flt_{STARTS}_name={token}", made) == \
        {"underscore", "backslash", "plain"}
    assert _listed(client, f"_flt_{NOT_ENDS}_name=_b贸易&_flt_{STARTS}_name={token}", made) == \
        {"percent", "backslash", "plain", "other"}


def test_exports_and_charts_follow_the_same_literal_search(org, login, names):
    token, made = names
    client = login(org.admin)
    csv = client.get(f"/customers/export/csv?_flt_{CONTAINS}_name=%25&_flt_{STARTS}_name={token}")
    assert csv.status_code == 200
    text = csv.get_data(as_text=True)
    assert made["percent"] in text and made["other"] not in text and made["plain"] not in text
    chart = client.get(f"/customers/chart/by_industry.json?_flt_{CONTAINS}_name=%25&_flt_{STARTS}_name={token}")
    assert chart.status_code == 200   # the chart counts one customer, not five
    assert sum(int(v) for _label, v in chart.get_json()["table"]) == 1


def test_the_api_matches_percent_and_underscore_literally(app, org, api_token, names):
    token, made = names
    client, headers = app.test_client(), api_token(org.admin)
    within = f"(col:name,opr:sw,value:'{token}')"
    assert _api_names(client, headers, f"(col:name,opr:ct,value:'%25'),{within}", made) == {"percent"}
    assert _api_names(client, headers, f"(col:name,opr:ct,value:'_'),{within}", made) == {"underscore"}
    assert _api_names(client, headers, f"(col:name,opr:nct,value:'_'),{within}", made) == \
        {"percent", "backslash", "plain", "other"}
    assert _api_names(client, headers, f"(col:name,opr:ew,value:'%25纯利'),{within}", made) == {"percent"}


def test_an_ordinary_search_still_ignores_case_and_finds_any_part(org, login, names):
    token, made = names
    client = login(org.admin)
    assert _listed(client, f"_flt_{CONTAINS}_name=XY&_flt_{STARTS}_name={token}", made) == {"plain"}
    assert _listed(client, f"_flt_{CONTAINS}_name=纯利&_flt_{STARTS}_name={token}", made) == {"percent", "other"}


def test_a_status_chosen_from_its_choices_is_matched_as_equal_along_the_index(org, ctx, login):
    """The status chips send "starts with" the status: a whole choice that starts no other choice is compared
    with = (the column's indexes serve it), anything else stays a literal prefix."""
    from flask_appbuilder.models.sqla.filters import FilterStartsWith
    from sqlalchemy import select

    from app.core.literal_filters import LiteralFilterConverter
    from app.extensions import db
    from app.modules.contracts.models import Contract
    from tests.modules.contracts.helpers import make_contract

    starts = next(cls for test, classes in LiteralFilterConverter.conversion_table for cls in classes
                  if issubclass(cls, FilterStartsWith) and not getattr(cls, "negate", False))

    def where(value):
        flt = starts("status", datamodel=type("DM", (), {"obj": Contract})())
        flt.model, flt.column_name = Contract, "status"
        return str(flt.apply(db.session.query(Contract), value).statement.compile(db.engine)).split("WHERE", 1)[1]

    assert "=" in where("draft") and "like" not in where("draft").lower()
    for value in ("dra", "Draft", "dra%", "sign"):           # not a whole choice: a literal prefix as before
        assert "like" in where(value).lower(), value
    draft = make_contract(org.east_rep)
    client = login(org.east_rep)
    listed = client.get("/contracts/list/?_flt_0_status=draft&psize_ContractView=100").get_data(as_text=True)
    assert draft.code in listed
