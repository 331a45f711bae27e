"""/api/v1/approvals/: every approval action the screens offer, for mobile apps and integrations
(JWT or personal API key, like every other API), described in the app's OpenAPI document.

- tasks (api_tasks.py): the caller's waiting tasks; approve, reject, return, transfer, add a
  signer — with a comment, files and a handwritten signature (multipart) where wanted;
- approvals (api_instances.py): submit a document or an approval form, one approval with its
  timeline and files, withdraw, urge, comment, mark a CC read, download a timeline file, and the
  route a document or a form's values would take;
- lists (api_lists.py): submitted by me, copied to me (read / unread), handled by me.

Errors never come back as 500: a refusal is 400 with the engine's message ({field: [message]}
when it is about one field), 403 without the permission or for someone else's task, 404 for
what does not exist or the caller may not see, 409 when the task was already handled (naming
who) or it is not the caller's turn (naming whose), 413 for a file over the size limit, and 429
with Retry-After for an urge within the hour.
"""
from __future__ import annotations

from flask_appbuilder.api import BaseApi

from app.workflow.api_instances import INSTANCE_METHODS, InstanceEndpoints
from app.workflow.api_lists import LIST_METHODS, ListEndpoints
from app.workflow.api_tasks import TASK_METHODS, TaskEndpoints
from app.workflow.views_common import APPROVALS, APPROVALS_PERMISSIONS


class ApprovalsApi(TaskEndpoints, InstanceEndpoints, ListEndpoints, BaseApi):
    resource_name = "approvals"
    openapi_spec_tag = "approvals"
    class_permission_name = APPROVALS
    base_permissions = APPROVALS_PERMISSIONS
    method_permission_name = {**TASK_METHODS, **INSTANCE_METHODS, **LIST_METHODS}
