"""A typo in a module declaration fails at start-up with an error id and the module's name."""
import pytest

from app.core.registry import Registry
from app.core.spec import ChartSpec, ModuleSpec, SpecError, check_spec
from app.modules.customers.models import Customer


def _spec(**kw):
    base = dict(name="broken", model=Customer, label="x", list_columns=["code", "name"])
    base.update(kw)
    return ModuleSpec(**base)


def test_unknown_list_column_is_reported_with_its_id():
    errors = check_spec(_spec(list_columns=["nmae"], export_columns=["code"]), {})
    assert errors == ["spec.E001 broken: list column 'nmae' is not a column or relation of Customer"]


def test_bad_chart_and_scope_and_related_are_reported():
    from app.core.scope import ScopeSpec

    errors = check_spec(_spec(charts=[ChartSpec(name="c", title="t", group_by="nope", kind="donut")],
                              scope=ScopeSpec(owner="boss_id"), related=["ghosts"]), {})
    ids = sorted(e.split()[0] for e in errors)
    assert ids == ["spec.E010", "spec.E011", "spec.E022", "spec.E030"]


def test_registry_refuses_to_start_with_a_broken_spec(monkeypatch):
    import types
    import sys

    fake = types.ModuleType("fake_mod.module")
    fake.SPECS = [_spec(search_columns=["phoen"])]
    monkeypatch.setitem(sys.modules, "fake_mod", types.ModuleType("fake_mod"))
    monkeypatch.setitem(sys.modules, "fake_mod.module", fake)
    with pytest.raises(SpecError, match=r"spec.E004 broken: search column 'phoen'"):
        Registry().load(["fake_mod"])


def test_shipped_specs_are_clean():
    from app import MODULES
    from app.core import system

    Registry().load(MODULES, frame_specs=system.SPECS)
