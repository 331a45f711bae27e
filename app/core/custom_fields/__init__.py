"""Custom fields (自定义字段): fields an admin adds to any module without code.

Definitions are rows of `custom_field` (models.py), read through definitions.py — kept per process
and renewed in every web and worker process as soon as one changes (app/core/kept.py), so a new
field needs no restart. Values live in one JSON column `custom` on the module's main table (JSONB on
PostgreSQL; column.py); values.py turns typed input into stored values and back, and gives the SQL
expression of a field for filters, sorting and search. service.py changes definitions; views.py is
the admin screen (系统管理 ▸ 自定义字段); record.py puts the fields into generated forms, pages and the
REST API.
"""
