"""Builders of test data through the real services."""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from flask import current_app

from app.core.org import Department, User, place_department
from app.core.transaction import unit_of_work
from app.extensions import db
from tests.conftest import unique

PASSWORD = "Passw0rd!"


def make_user(role: str = "Sales", department: Department | None = None, manager: User | None = None, email=True) -> User:
    user = _person(role, department, manager, email)
    db.session.commit()
    return user


def make_department(name: str, parent: Department | None = None) -> Department:
    with unit_of_work(None):
        return _placed(name, parent)


def make_customer(owner: User, name: str | None = None, actor: User | None = None, **fields):
    """A customer owned by `owner`, created by `actor` (the owner unless given)."""
    from app.modules.customers.models import Customer
    from app.modules.customers.service import create_customer

    customer = Customer(name=name or unique("客户"), owner_id=owner.id, kind="company",
                        credit_limit=Decimal(fields.pop("credit_limit", "1000.00")), **fields)
    return create_customer(actor or owner, customer)


@dataclass
class Org:
    company: Department
    sales: Department
    east: Department
    south: Department
    finance: Department
    admin: User
    manager: User      # Manager of sales (department scope)
    east_rep: User     # Sales in east (own scope)
    east_rep2: User
    south_rep: User
    finance_user: User
    readonly: User
    extra: dict = field(default_factory=dict)

    @classmethod
    def build(cls) -> "Org":
        """The departments in one transaction, the people in another (as make_department and make_user make them,
        without a commit each: most tests start with one)."""
        with unit_of_work(None):
            company = _placed(unique("公司"))
            sales = _placed(unique("销售部"), company)
            east = _placed(unique("华东组"), sales)
            south = _placed(unique("华南组"), sales)
            finance = _placed(unique("财务部"), company)
        admin = _person("Admin", company)
        manager = _person("Manager", sales)
        people = dict(admin=admin, manager=manager, east_rep=_person("Sales", east, manager),
                      east_rep2=_person("Sales", east, manager), south_rep=_person("Sales", south, manager),
                      finance_user=_person("Finance", finance), readonly=_person("ReadOnly", company))
        db.session.commit()
        return cls(company=company, sales=sales, east=east, south=south, finance=finance, **people)


def _placed(name: str, parent: Department | None = None) -> Department:
    dept = Department(name=name, code=unique("D"), parent_id=parent.id if parent else None)
    db.session.add(dept)
    db.session.flush()
    place_department(dept)
    return dept


_hashed: dict[str, str] = {}


def _person(role: str, department: Department | None, manager: User | None = None, email=True) -> User:
    """A user with `role` in `department` under `manager` (password PASSWORD, hashed once per method), flushed,
    not committed."""
    from werkzeug.security import generate_password_hash

    sm = current_app.appbuilder.sm
    method = current_app.config.get("FAB_PASSWORD_HASH_METHOD", "scrypt")
    if method not in _hashed:
        _hashed[method] = generate_password_hash(PASSWORD, method=method)
    name = unique("u")
    made = sm.add_user(name, name, "测试", f"{name}@example.com" if email else f"{name}@nomail.invalid",
                       sm.find_role(role), hashed_password=_hashed[method], commit=False)
    assert made, f"could not create {name}"
    user = db.session.get(User, made.id)
    user.department_id = department.id if department else None
    user.manager_id = manager.id if manager else None
    db.session.flush()
    return user
