"""Extensions, created unbound here and bound to the app in create_app()."""
import click
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_wtf.csrf import CSRFProtect

# One metadata for FAB's security tables and ours, so Alembic sees them all.
db = SQLA(metadata=Model.metadata)
csrf = CSRFProtect()


class _MigrateState:
    """What Flask-Migrate keeps in app.extensions["migrate"] (directory, db, configure_args,
    metadata), its Migrate object made on first use."""

    def __init__(self, lazy: "LazyMigrate", db, directory: str):
        self._lazy, self.db, self.directory = lazy, db, directory
        self.configure_args = dict(lazy.kwargs)

    @property
    def metadata(self):
        return self.db.metadata

    @property
    def migrate(self):
        return self._lazy.real(self.db, self.directory)


class _LazyDbCommand(click.Command):
    """`db ...`: Flask-Migrate's command group, imported when the command runs."""

    def __init__(self):
        super().__init__("db", help="Perform database migrations.", add_help_option=False)

    def make_context(self, info_name, args, parent=None, **extra):
        from flask_migrate.cli import db as db_group

        return db_group.make_context(info_name, args, parent=parent, **extra)


class LazyMigrate:
    """Flask-Migrate without importing it (with Alembic, Mako and Pygments: about 8 MB a web
    process never uses) until a migration runs: `run.py db ...`, `run.py init`, or upgrade()."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.callbacks = []
        self._real = None

    def configure(self, f):
        self.callbacks.append(f)
        return f

    def init_app(self, app, db, directory: str) -> None:
        app.extensions["migrate"] = _MigrateState(self, db, str(directory))
        app.cli.add_command(_LazyDbCommand(), name="db")

    def real(self, db, directory: str):
        if self._real is None or self._real.db is not db or self._real.directory != directory:
            from flask_migrate import Migrate

            real = Migrate(db=db, directory=directory, **self.kwargs)
            for f in self.callbacks:
                real.configure(f)
            self._real = real
        return self._real


migrate = LazyMigrate(compare_type=True, render_as_batch=True)


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
