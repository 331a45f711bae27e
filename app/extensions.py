"""Extensions, created unbound here and bound to the app in create_app()."""
from flask_appbuilder import Model
from flask_appbuilder.models.sqla.base import SQLA
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# One metadata for FAB's security tables and ours, so Alembic sees them all.
db = SQLA(metadata=Model.metadata)
migrate = Migrate(compare_type=True, render_as_batch=True)
csrf = CSRFProtect()
