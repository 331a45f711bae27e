"""An import declared on a module's spec is checked at start-up, and only modules that declare one
get an import screen."""
from app.core.spec import ImportSpec, ModuleSpec, check_spec


def test_an_import_naming_an_unknown_column_is_refused_at_start_up():
    from app.modules.contracts.models import Contract

    class Service:
        create = update = delete = staticmethod(lambda actor, item: item)

    spec = ModuleSpec(name="x", model=Contract, label="x", service=Service,
                      importing=ImportSpec(columns=("title", "titel"), defaults={"amont": 1}))
    errors = check_spec(spec, {})
    assert any("spec.E070" in e and "'titel'" in e for e in errors)
    assert any("spec.E070" in e and "'amont'" in e for e in errors)
    spec = ModuleSpec(name="x", model=Contract, label="x", importing=ImportSpec(columns=("title",)))
    assert any("spec.E071" in e for e in check_spec(spec, {}))


def test_modules_without_an_import_have_no_import_screen(org, login):
    client = login(org.admin)
    assert client.get("/contracts/import/").status_code == 200
    assert client.get("/contacts/import/").status_code == 404
