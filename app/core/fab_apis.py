"""FAB's security REST API (/api/v1/security/roles, users, resources, permissions-resources)
with the defects that answer 500 to ordinary mistakes fixed. The security manager uses these
classes in place of FAB's.

- FAB 5.3's SQLAInterface.add() re-raises the database's error while every caller expects
  DatabaseException (as edit() and delete() raise): a duplicate or empty role name, a missing
  permission id → 500 instead of 422.
- UserApi.put() edits the user it looked up without checking it exists (PUT of an unknown id →
  AttributeError), and answers unknown role or group ids with response_404(message=...), which
  takes no message (TypeError).
"""
from __future__ import annotations

import inspect

from flask_appbuilder.api import expose, safe
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import permission_name, protect
from flask_appbuilder.security.sqla.apis.permission_view_menu.api import PermissionViewMenuApi
from flask_appbuilder.security.sqla.apis.role.api import RoleApi
from flask_appbuilder.security.sqla.apis.user.api import UserApi
from flask_appbuilder.security.sqla.apis.view_menu.api import ViewMenuApi
from flask_appbuilder.security.sqla.models import PermissionView, Role, ViewMenu
from sqlalchemy.exc import SQLAlchemyError


class CheckedInterface(SQLAInterface):
    def add(self, item, commit: bool = True) -> None:
        try:
            super().add(item, commit)
        except SQLAlchemyError as exc:
            raise DatabaseException from exc


class ZwtRoleApi(RoleApi):
    datamodel = CheckedInterface(Role)


class ZwtViewMenuApi(ViewMenuApi):
    datamodel = CheckedInterface(ViewMenu)


class ZwtPermissionViewMenuApi(PermissionViewMenuApi):
    datamodel = CheckedInterface(PermissionView)


class ZwtUserApi(UserApi):
    def response_404(self, message=None):
        return self.response(404, message=message or "Not found")

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        if self.datamodel.get(pk, self._base_filters) is None:
            return self.response_404()
        return inspect.unwrap(UserApi.put)(self, pk)

    put.__doc__ = UserApi.put.__doc__
