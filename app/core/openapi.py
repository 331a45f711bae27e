"""Corrections to the OpenAPI description FAB generates (/api/v1/_openapi), so that it says what
the API really answers — clients generated from it, and the fuzzing in tests/api, rely on it.

FAB documents every 400 as {"message": string} while validation errors are
{"message": {field: [messages]}}, documents _info's add_columns/edit_columns as objects though
they are lists, lists operations it never routes (GET /security/groups/<pk>), and leaves out the
401/403/404 its decorators answer on every protected operation.
"""
from __future__ import annotations

import json
import re

from flask import current_app, request
from werkzeug.exceptions import MethodNotAllowed, NotFound

OPENAPI_PATH = re.compile(r"/api/[^/]+/_openapi")
MESSAGE = {
    "anyOf": [
        {"type": "string"},
        {"type": "object", "additionalProperties": {}},
        {"type": "array", "items": {}},
    ],
}
ERROR_BODY = {"type": "object", "properties": {"message": MESSAGE}}
STANDARD = {
    "400": "Bad request", "401": "Unauthorized", "403": "Forbidden", "404": "Not found",
    "405": "Method not allowed", "409": "Conflict", "422": "Could not process entity", "429": "Too many requests",
    "500": "Fatal error",
}
FIELD_INFO = {
    "type": "array",
    "items": {"type": "object", "properties": {
        "name": {"type": "string"}, "label": {"type": "string"}, "description": {"type": "string"},
        "type": {"type": "string"}, "required": {"type": "boolean"}, "unique": {"type": "boolean"},
    }},
}


def _routed(app, path: str, method: str) -> bool:
    """Whether the app serves `method` on the OpenAPI `path` ({name} parameters filled in)."""
    adapter = app.url_map.bind("localhost")
    sample = re.sub(r"\{[^}]+\}", "1", path)
    try:
        adapter.match(sample, method=method.upper())
    except MethodNotAllowed:
        return False
    except NotFound:
        # A string parameter that is no number still routes; an unknown path does not.
        try:
            adapter.match(re.sub(r"\{[^}]+\}", "x", path), method=method.upper())
        except (MethodNotAllowed, NotFound):
            return False
    except Exception:  # a redirect (trailing slash) still means the path is served
        return True
    return True


ID = {"anyOf": [{"type": "integer"}, {"type": "string"}]}


def _fix_schemas(schemas: dict, module_apis: set[str]) -> None:
    """Related records a row lacks come back as null, and to-many relations as lists; computed
    and FAB's own fields may be empty; FAB's own screens' times carry no zone (the module APIs
    send UTC with its offset)."""
    for name, schema in schemas.items():
        own = name.split(".", 1)[0] in module_apis
        for prop_name, prop in list((schema.get("properties") or {}).items()):
            if "$ref" in prop:
                ref = {"$ref": prop["$ref"]}
                schema["properties"][prop_name] = {"anyOf": [ref, {"type": "array", "items": ref}], "nullable": True}
                continue
            if prop.get("format") == "date-time" and not own:
                del prop["format"]
                prop["description"] = "date and time without a zone"
            if prop.get("format") == "date-time" or prop.get("readOnly") or not own:
                prop["nullable"] = True


VERSION = {"type": "integer", "minimum": 0,
           "description": "The version of the record the change is based on, as GET answered it (also sent as "
                          "ETag; If-Match works too). A version that is no longer the record's answers 409 with "
                          "who changed what since; without one, only the fields sent are written."}


def _document_versions(spec: dict, module_apis: set[str]) -> None:
    """The module APIs' record versions: returned by GET, accepted by PUT."""
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        api, _dot, kind = name.partition(".")
        if api in module_apis and kind == "put":
            schema.setdefault("properties", {})["version"] = VERSION
    for path, operations in spec.get("paths", {}).items():
        get = operations.get("get")
        if not get or not path.endswith("/{pk}") or get.get("tags", [""])[0] not in _module_tags(spec, module_apis):
            continue
        schema = get.get("responses", {}).get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if "properties" in schema:
            schema["properties"]["version"] = {"type": "integer", "description": "The record's version."}


def _document_custom_fields(schemas: dict) -> None:
    """Each module's custom fields as the `custom` object of its records, described from the
    definitions of this moment (a field added a second ago is in the next description)."""
    from app.core.custom_fields.definitions import has_custom
    from app.core.custom_fields.record import openapi_schema
    from app.core.registry import registry

    for api in registry.apis.values():
        spec = getattr(api, "spec", None)
        if spec is None or not has_custom(spec.model):
            continue
        custom = openapi_schema(spec)
        for name, schema in schemas.items():
            if name.split(".", 1)[0] == api.__name__ and name.partition(".")[2] in ("get", "get_list", "post", "put"):
                schema.setdefault("properties", {})["custom"] = custom


def _module_tags(spec: dict, module_apis: set[str]) -> set[str]:
    from app.core.registry import registry

    return {api.resource_name for api in registry.apis.values() if api.__name__ in module_apis}


def _fix_ids(operation: dict) -> None:
    """FAB documents ids as text; lists and created records carry them as numbers."""
    for code in ("200", "201"):
        schema = (operation.get("responses", {}).get(code, {}).get("content", {})
                  .get("application/json", {}).get("schema", {}))
        properties = schema.get("properties") or {}
        if "id" in properties:
            properties["id"] = ID
        if "ids" in properties:
            properties["ids"] = {"type": "array", "items": ID}
        result = properties.get("result", {})
        childs = (result.get("items", {}).get("properties", {}) or {}).get("childs")
        if childs and childs.get("items", {}).get("type") == "object":
            # The menu's separators are the string "-".
            childs["items"] = {"anyOf": [{"type": "object"}, {"type": "string"}]}


def correct(spec: dict, app) -> dict:
    from app.core.registry import registry

    components = spec.setdefault("components", {})
    module_apis = {api.__name__ for api in registry.apis.values()}
    _fix_schemas(components.get("schemas", {}), module_apis)
    _document_versions(spec, module_apis)
    _document_custom_fields(components.get("schemas", {}))
    responses = components.setdefault("responses", {})
    for code, description in STANDARD.items():
        responses[code] = {"description": description, "content": {"application/json": {"schema": ERROR_BODY}}}
    for path, operations in list(spec.get("paths", {}).items()):
        for method in [m for m in operations if m in ("get", "post", "put", "delete", "patch")]:
            if not _routed(app, path, method):
                del operations[method]
                continue
            operation = operations[method]
            _fix_ids(operation)
            answers = operation.setdefault("responses", {})
            # Every request may be refused as malformed (NUL characters, deep JSON, bad `q`).
            codes = ["400", "500"]
            if operation.get("security"):
                codes += ["401", "403"]
            if "{" in path:
                # An id of the wrong form can miss the route: 404, or 405 when another
                # method's route takes any text there.
                codes += ["404", "405"]
            if method in ("post", "put", "delete"):
                codes += ["409", "422"]
            for code in codes:
                answers.setdefault(code, {"$ref": f"#/components/responses/{code}"})
            if path.endswith("/_info") and method == "get":
                schema = (answers.get("200", {}).get("content", {}).get("application/json", {}).get("schema", {}))
                for key in ("add_columns", "edit_columns"):
                    if key in schema.get("properties", {}):
                        schema["properties"][key] = FIELD_INFO
        if not any(m in operations for m in ("get", "post", "put", "delete", "patch")):
            del spec["paths"][path]
    return spec


def install(app) -> None:
    if app.extensions.get("zwt_openapi"):
        return
    app.extensions["zwt_openapi"] = True

    @app.after_request
    def _correct_openapi(response):
        if response.status_code == 200 and OPENAPI_PATH.fullmatch(request.path) and response.is_json:
            spec = json.loads(response.get_data())
            response.set_data(json.dumps(correct(spec, current_app)))
        return response
