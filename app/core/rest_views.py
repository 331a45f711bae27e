"""The REST API base class that registry.py generates from a ModuleSpec (the screens' base is in
views.py): the service's DomainError answers 400 with field messages, an edit carries the version
it started from (body `version` or If-Match; a stale one answers 409 with the changes since), and
the OpenAPI description names each field's rules."""
from __future__ import annotations

import threading
import types

import jsonschema

from flask import request
from flask_appbuilder import ModelRestApi, expose
from flask_appbuilder.api import safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import gettext as _
from marshmallow import ValidationError, validate

from app.core import versions
from app.core.custom_fields import record as custom_record
from app.core.errors import DomainError, ValidationErrors
from app.extensions import db

API_PERMISSIONS = {
    "get_list": "read", "get": "read", "info": "read",
    "post": "write", "put": "write", "delete": "delete",
}

_building = threading.RLock()


class _KeptValidators(types.ModuleType):
    """`jsonschema` as Flask-AppBuilder's `@rison` sees it: `validate` keeps one checked validator
    per schema (jsonschema.validate checks the schema against its meta-schema and builds a
    validator on every call: a sixth of a REST list's time). The same answers and errors."""

    def __init__(self):
        super().__init__("jsonschema")
        self._validators: dict[int, tuple] = {}

    def __getattr__(self, name):
        return getattr(jsonschema, name)

    def validate(self, instance, schema, cls=None, *args, **kwargs):
        if cls is not None or args or kwargs:
            return jsonschema.validate(instance, schema, cls, *args, **kwargs)
        kept = self._validators.get(id(schema))
        if kept is None or kept[0] is not schema:
            checking = jsonschema.validators.validator_for(schema)
            checking.check_schema(schema)
            kept = self._validators[id(schema)] = (schema, checking(schema))
        error = jsonschema.exceptions.best_match(kept[1].iter_errors(instance))
        if error is not None:
            raise error


def _keep_rison_validators() -> None:
    import flask_appbuilder.api as fab_api

    if not isinstance(fab_api.jsonschema, _KeptValidators):
        fab_api.jsonschema = _KeptValidators()


_keep_rison_validators()


def _built_when_used(kind: str) -> property:
    """One of an API's four marshmallow schemas (list, show, add, edit), built with the others the first time any
    is used: a process builds only the schemas of the APIs it serves (about 11 MB for every module's at start)."""
    key = f"_{kind}_model_schema_built"

    def get(self):
        found = self.__dict__.get(key)
        if found is None and self.__dict__.get("_schemas_when_used"):   # not while FAB registers the API
            self.build_model_schemas()
            found = self.__dict__[key]
        return found

    def put(self, value):
        self.__dict__[key] = value

    return property(get, put)


class ModuleRestApi(ModelRestApi):
    """/api/v1/<module>/: list, show, create, update, delete through the module's service."""

    spec = None
    method_permission_name = API_PERMISSIONS
    base_permissions = ["can_read", "can_write", "can_delete", "can_export"]
    list_model_schema = _built_when_used("list")
    show_model_schema = _built_when_used("show")
    add_model_schema = _built_when_used("add")
    edit_model_schema = _built_when_used("edit")

    def create_blueprint(self, appbuilder, *args, **kwargs):
        # FAB looks at every attribute of the API while it registers it: the schemas are built on first use after.
        blueprint = super().create_blueprint(appbuilder, *args, **kwargs)
        self._schemas_when_used = True
        return blueprint

    def _init_model_schemas(self) -> None:
        """FAB builds the schemas when the API is registered; here they are built when first used."""

    def build_model_schemas(self) -> None:
        with _building:
            if self.__dict__.get("_edit_model_schema_built") is not None:
                return
            convert = self.model2schemaconverter.convert
            built = {
                "list": convert(self.list_columns, parent_schema_name=self.list_model_schema_name),
                "add": convert(self.add_columns, nested=False, parent_schema_name=self.add_model_schema_name),
                "show": convert(self.show_columns, parent_schema_name=self.show_model_schema_name),
                "edit": convert(self.edit_columns, nested=False, parent_schema_name=self.edit_model_schema_name),
            }
            self.tighten_schemas(built)
            for kind in ("list", "add", "show", "edit"):     # the edit schema last: it says all four are built
                self.__dict__[f"_{kind}_model_schema_built"] = built[kind]

    def tighten_schemas(self, schemas: dict) -> None:
        """Adjust the fields FAB derived from the model (registry.py: money, ids, whole numbers, times)."""

    def response_422(self, message=None):
        # A payload that does not validate is the client's mistake: 400 with field messages.
        return self.response_400(message=message)

    def _domain_error(self, error: DomainError):
        db.session.rollback()
        body = error.as_dict()
        if error.field and not isinstance(error, ValidationErrors):
            body["message"] = {error.field: [error.message]}
        return self.response(error.status, **body)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        """FAB translates missing labels and descriptions as gettext(""), which answers the
        catalogue's header, and shows validators as Python reprs."""
        info = super()._get_field_info(field, filter_rel_field, page=page, page_size=page_size)
        name = field.name
        label = self.label_columns.get(name) or self.label_columns.get(name.removesuffix("_id"))
        info["label"] = str(label) if label else name
        description = self.description_columns.get(name)
        info["description"] = str(description) if description else ""
        if "validate" in info:
            info["validate"] = [text for text in (_describe_validator(v) for v in field.validators) if text]
        return info

    def _payload(self):
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return None
        return data

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self):
        """Create a record
        ---
        post:
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.post'
          responses:
            201:
              description: Created
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        data = self._payload()
        if data is None:
            return self.response_400(message=_("The request body must be a JSON object."))
        custom = self._custom_payload(data)
        try:
            item = self.add_model_schema.load(data)
        except ValidationError as err:
            return self.response_400(message=err.messages)
        try:
            if custom is not False:
                item.custom = custom_record.api_read(self.spec, custom, None, True)
            self.datamodel.add(item)
        except DomainError as error:
            return self._domain_error(error)
        return self.response(201, result=self._with_custom(self.add_model_schema.dump(item), item), id=item.id)

    # -- custom fields (自定义字段): the `custom` object of every record ------------------------
    def _has_custom(self) -> bool:
        from app.core.custom_fields.definitions import has_custom

        return has_custom(self.spec.model)

    def _custom_payload(self, data: dict):
        """The body's `custom` object, taken out of what the schema reads; False where the module
        has no custom fields (then `custom` is an unknown field like any other)."""
        if not self._has_custom():
            return False
        return data.pop("custom", None)

    def _with_custom(self, result: dict, item) -> dict:
        if self._has_custom() and isinstance(result, dict):
            result["custom"] = custom_record.api_values(item, custom_record.active_fields(self.spec))
        return result

    def pre_get_list(self, data):
        """Each row of a list answer gets its `custom` object (read for the page's ids in one
        statement), before FAB writes the answer."""
        super().pre_get_list(data)
        if not self._has_custom():
            return
        ids = [i for i in data.get("ids", []) if isinstance(i, int)]
        fields = custom_record.active_fields(self.spec)
        model = self.datamodel.obj
        stored = dict(db.session.query(model.id, model.custom).filter(model.id.in_(ids)).all()) if ids else {}
        for pk, row in zip(data.get("ids", []), data.get("result", [])):
            row["custom"] = {f.name: (stored.get(pk) or {}).get(f.name) for f in fields}

    @expose("/<int:pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        """Update a record
        ---
        put:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
          responses:
            200:
              description: Updated
            400:
              $ref: '#/components/responses/400'
            404:
              $ref: '#/components/responses/404'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        data = self._payload()
        if data is None:
            return self.response_400(message=_("The request body must be a JSON object."))
        based_on = _version_sent(data.pop("version", None), request.headers.get("If-Match"))
        if based_on == "bad":
            return self.response_400(message={"version": [_("Not a valid integer.")]})
        versions.lock(item)
        current = versions.version_of(item)
        if based_on is not None and based_on != current:
            entries = versions.changes_since(item, based_on)
            message = versions.conflict_message(entries, self._describe_change)
            db.session.rollback()
            return self.response(409, error="stale", message=message, version=current)
        custom = self._custom_payload(data)
        try:
            item = self.edit_model_schema.load(self._merge_update_item(item, data), instance=item)
        except ValidationError as err:
            db.session.rollback()
            return self.response_400(message=err.messages)
        try:
            if custom is not False and custom is not None:
                item.custom = custom_record.api_read(self.spec, custom, item, False)
            self.datamodel.edit(item)
        except DomainError as error:
            return self._domain_error(error)
        version = versions.version_of(item)
        response = self.response(200, result=self._with_custom(self.edit_model_schema.dump(item), item), version=version)
        response.set_etag(str(version))
        return response

    def get_headless(self, pk, **kwargs):
        """The record with its version (also as ETag), to send back with a change."""
        response = super().get_headless(pk, **kwargs)
        if response.status_code == 200:
            version = versions.versions_of(self.datamodel.obj, [pk]).get(str(pk), 0)
            body = response.get_json()
            body["version"] = version
            if self._has_custom():
                item = self.datamodel.get(pk, self._base_filters)
                self._with_custom(body.get("result"), item)
            response = self.response(200, **body)
            response.set_etag(str(version))
        return response

    def _describe_change(self, entry) -> dict:
        """A history entry described as the module's screens describe it."""
        from app.core.registry import registry

        view_class = registry.views.get(self.spec.name)
        view = next((v for v in self.appbuilder.baseviews if view_class and type(v).__name__ == view_class.__name__), None)
        if view is not None:
            return view._describe(entry)
        return {"at": entry.at, "actor": entry.actor, "action": entry.action,
                "changes": [(str(self.label_columns.get(f, f)), old, new) for f, (old, new) in entry.changes.items()]}

    @expose("/<int:pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk):
        """Delete a record
        ---
        delete:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: Deleted
            404:
              $ref: '#/components/responses/404'
        """
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        try:
            self.datamodel.delete(item)
        except DomainError as error:
            return self._domain_error(error)
        return self.response(200, message="OK")


def _version_sent(in_body, if_match):
    """The version a change was based on: the body's "version", else If-Match ("17", W/"17");
    None when neither says, "bad" when it is no number."""
    value = in_body if in_body is not None else (if_match or "").strip().removeprefix("W/").strip('"') or None
    if value is None:
        return None
    if isinstance(value, bool) or not str(value).isdigit() or int(value) > 2**63:
        return "bad"
    return int(value)


def _describe_validator(validator) -> str:
    """A marshmallow validator as a rule people read (for /_info)."""
    if isinstance(validator, validate.OneOf):
        return _("One of: %(choices)s", choices=", ".join(str(c) for c in validator.choices))
    if isinstance(validator, validate.Length):
        if validator.max is not None:
            return _("At most %(n)s characters", n=validator.max)
        if validator.min is not None:
            return _("At least %(n)s characters", n=validator.min)
    if isinstance(validator, validate.Range):
        return _("From %(low)s to %(high)s", low=validator.min, high=validator.max)
    return ""
