"""The import screens every module with an `importing` declaration gets, at /<module>/import/:
template, upload, preview with each row's problems, all-or-nothing import; large files by a
background job with a progress bar. Reached from the list's 导入 button (listing.import_url).

Everyone who reads the module sees the page; the templates, uploading and importing need write.
"""
from __future__ import annotations

from urllib.parse import quote

from flask import Response, abort, current_app, flash, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.datamodel import current_actor
from app.core.importing import job, run, state as states, template
from app.core.importing.columns import columns_of
from app.core.importing.files import ImportFileError
from app.extensions import db

SYNC_ROWS = 2000             # larger files are imported by a background job


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, content_type=mimetype)   # mimetype= would add a second "; charset=utf-8"
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class ModuleImportView(BaseView):
    """导入: one subclass per module (see register_views)."""

    import_spec = None   # the module's spec (a name of its own: frame hooks treat a view's `spec` as a model view's)
    default_view = "index"
    method_permission_name = {"index": "read", "template": "write", "upload": "write", "commit": "write",
                              "progress": "write", "status": "write"}
    base_permissions = ["can_read", "can_write"]

    # -- helpers ---------------------------------------------------------------------------------
    def _endpoint(self, method: str, **values) -> str:
        return url_for(f"{self.__class__.__name__}.{method}", **values)

    def _may(self, permission: str) -> bool:
        return bool(current_app.appbuilder.sm.has_access(f"can_{permission}", self.import_spec.permission_name))

    @staticmethod
    def _sync_rows() -> int:
        return int(current_app.config.get("IMPORT_SYNC_ROWS") or SYNC_ROWS)

    def _list_url(self) -> str:
        from app.core.registry import registry

        view = registry.views.get(self.import_spec.name)
        return f"{view.route_base}/list/" if view is not None else "/"

    def _words(self) -> dict:
        spec = self.import_spec
        columns = columns_of(spec)
        key = run.key_column(spec, columns)
        return {"things": str(spec.label_plural), "thing": str(spec.label),
                "key_header": next((c.header() for c in columns if c.name == key), ""),
                "name_header": str(spec.label_columns.get(spec.title_column, _("Name"))),
                "list_url": self._list_url(), "view_name": self.__class__.__name__}

    def _title(self) -> str:
        return _("Import %(things)s", things=str(self.import_spec.label_plural))

    def _index(self, error=None, status=200):
        columns = columns_of(self.import_spec)
        return self.render_template("importing/index.html", title=self._title(), error=error,
                                    headers=[c.header() for c in columns], sync_rows=self._sync_rows(),
                                    may_import=self._may("write"), max_mb=states.MAX_UPLOAD_BYTES // (1024 * 1024),
                                    **self._words()), status

    def _state(self, token):
        found = states.load_state(token, current_actor(), self.import_spec.name)
        if found is None:
            abort(404)
        return found

    # -- screens ---------------------------------------------------------------------------------
    @expose("/")
    @has_access
    def index(self):
        return self._index()

    @expose("/template.<fmt>")
    @has_access
    def template(self, fmt):
        name = _("%(things)s import template", things=str(self.import_spec.label_plural))
        if fmt == "xlsx":
            return _download(template.template_xlsx(self.import_spec), f"{name}.xlsx",
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if fmt == "csv":
            return _download(template.template_csv(self.import_spec), f"{name}.csv", "text/csv; charset=utf-8")
        abort(404)

    @expose("/upload", methods=["POST"])
    @has_access
    def upload(self):
        actor = current_actor()
        storage = request.files.get("file")
        if storage is None or not storage.filename:
            return self._index(_("Please choose a file."), 400)
        state = None
        try:
            state = states.save_upload(self.import_spec, actor, storage)
            path = states.upload_path(state)
            if run.more_rows_than(self.import_spec, path, state["fmt"], self._sync_rows()):
                job.start_background_import(actor, state)
                return redirect(self._endpoint("progress", token=state["token"]))
            result = run.run_import(self.import_spec, actor, path, state["fmt"], commit=False)
        except ImportFileError as error:
            db.session.rollback()
            if state is not None:   # a file that cannot be imported is not kept
                states.discard_upload(state)
            return self._index(error.message, 400)
        db.session.rollback()
        state.update(status="checked", rows=result.rows, error_rows=result.error_rows)
        states.save_state(state)
        return self._preview(state, result)

    def _preview(self, state, result, status=200):
        columns = columns_of(self.import_spec)
        return self.render_template("importing/preview.html", title=self._title(), state=state, result=result,
                                    fields=[c.name for c in columns], headers={c.name: c.header() for c in columns},
                                    listed_max=run.MAX_LISTED_ERRORS, **self._words()), status

    @expose("/<token>/commit", methods=["POST"])
    @has_access
    def commit(self, token):
        actor = current_actor()
        state = self._state(token)
        path = states.upload_path(state)
        if state["status"] == "done" or not path.exists() or not states.claim_commit(state):
            flash(_("This file has already been imported or has expired; please upload it again."), "warning")
            return redirect(self._endpoint("index"))
        try:
            result = run.run_import(self.import_spec, actor, path, state["fmt"], commit=True)
        except ImportFileError as error:
            db.session.rollback()
            states.release_commit(state)
            return self._index(error.message, 400)
        if not result.committed:
            states.release_commit(state)
            # Something changed since the preview (someone added one of these records):
            # nothing was written; show the problems as they are now.
            state.update(status="checked", rows=result.rows, error_rows=result.error_rows)
            states.save_state(state)
            return self._preview(state, result, 409)
        state.update(status="done", created=result.created)
        states.save_state(state)
        states.drop_upload(states.upload_dir(), f"{state['token']}.{state['fmt']}")
        flash(_("%(count)d %(things)s imported.", count=result.created, things=str(self.import_spec.label_plural)),
              "success")
        return redirect(self._list_url())

    @expose("/<token>/")
    @has_access
    def progress(self, token):
        return self.render_template("importing/progress.html", title=self._title(), state=self._state(token),
                                    listed_max=run.MAX_LISTED_ERRORS, **self._words())

    @expose("/<token>/status.json")
    @has_access
    def status(self, token):
        state = self._state(token)
        keys = ("status", "rows", "processed", "created", "error_rows", "message", "filename")
        return jsonify({k: state.get(k) for k in keys})


def view_class(spec) -> type:
    """The import view of one module: CustomerImportView at /customers/import/ and so on."""
    return type(f"{spec.model.__name__}ImportView", (ModuleImportView,),
                {"import_spec": spec, "route_base": f"/{spec.name}/import",
                 "class_permission_name": spec.permission_name})


def register_views(appbuilder) -> None:
    """An import screen for every module whose spec declares `importing`."""
    from app.core.registry import registry

    for spec in registry.specs.values():
        if spec.importing is not None:
            appbuilder.add_view_no_menu(view_class(spec))
