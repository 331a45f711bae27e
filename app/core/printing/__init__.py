"""Printed documents (打印模板) of every module that declares `documents=[DocumentSpec(...)]`:
render.py draws a sandboxed HTML template as a PDF with an embedded Chinese font, service.py
keeps the templates (versions, default per document type) and prints records, jobs.py prints
many records as one merged PDF, views.py holds the screens."""
