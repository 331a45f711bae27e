"""Extensions, created unbound here and bound to the app in create_app()."""
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# One metadata for FAB's security tables and ours, so Alembic sees them all.
db = SQLA(metadata=Model.metadata)
migrate = Migrate(compare_type=True, render_as_batch=True)
csrf = CSRFProtect()


@migrate.configure
def _module_migrations(config):
    """Each module keeps its migrations in its own folder (app/modules/<name>/migrations), as a
    branch that depends on the platform's; Alembic reads them all."""
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parent
    locations = [str(root.parent / "migrations" / "versions"), str(root / "workflow" / "migrations")]
    locations += sorted(str(p) for p in (root / "modules").glob("*/migrations") if p.is_dir())
    config.set_main_option("version_locations", os.pathsep.join(locations))  # path_separator = os
    return config
