"""The home page: a greeting and shortcuts to the modules the user may open."""
from flask import g, url_for
from flask_appbuilder import IndexView, expose


class HomeView(IndexView):
    index_template = "zwt/index.html"

    @expose("/")
    def index(self):
        from app.core.registry import registry

        shortcuts = []
        user = getattr(g, "user", None)
        if user is not None and user.is_authenticated:
            sm = self.appbuilder.sm
            for name, spec in registry.specs.items():
                if spec.show_in_menu and sm.has_access("can_read", spec.permission_name):
                    shortcuts.append((name, spec.label_plural, url_for(f"{registry.views[name].__name__}.list")))
        return self.render_template(self.index_template, appbuilder=self.appbuilder, shortcuts=shortcuts)
