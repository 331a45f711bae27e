"""Importing a module's records from Excel (.xlsx) or CSV, for every module whose spec declares
`importing=ImportSpec(...)`.

The template's headers are the module's labels in the user's language, with drop-down lists for
choices; files with Chinese or English headers are both read; a CSV may be UTF-8 (with or without
BOM) or GBK, as Excel in China saves it. Every row is checked (columns.py, rows.py, and the
module's own hooks) and listed with its row number; an import writes all rows in one transaction
or nothing (run.py). Small files are previewed before they are imported; files of more than
IMPORT_SYNC_ROWS rows are checked and imported by a background job that reports its progress
(job.py). Uploads wait in the file store (state.py); the screens are views.py.

    files.py     what a file must be, and its rows as cell values, streamed
    xlsx.py      the streamed workbook reader
    columns.py   a module's columns, headers, cells to values, relations by a human key
    rows.py      checking rows, with the module's hooks
    run.py       check / preview / commit
    state.py     uploads in the file store, their state in Redis, one commit per upload
    job.py       the background import
    template.py  the .xlsx and .csv templates
    views.py     the screens at /<module>/import/
"""
