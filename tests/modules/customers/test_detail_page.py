"""The customer detail page: its tabs, and only the actions the user may take on that customer
in its current state."""
import re

from flask_babel import force_locale, gettext

from tests.factories import make_customer


def _tab_labels(html: str) -> list[str]:
    return [" ".join(re.sub(r"<[^>]+>", " ", label).split())
            for label in re.findall(r'<a href="#[^"]+" data-toggle="tab"[^>]*>(.*?)</a>', html, re.S)]


def test_the_profile_tab_is_called_customer_profile(org, login):
    customer = make_customer(org.east_rep)
    html = login(org.east_rep).get(f"/customers/show/{customer.id}").get_data(as_text=True)
    labels = _tab_labels(html)
    assert "客户画像" in labels, labels
    assert not any("个人信息" in label for label in labels)
    with force_locale("en"):
        assert gettext("Customer profile") == "Customer profile"
