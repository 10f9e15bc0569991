"""Helpers that several apps use and none owns — no models, no business rules:

- `common.bulk`: inserts of many rows without model instances (COPY on PostgreSQL), ids reserved up front;
- `common.workbook_reader`: reading uploaded .xlsx workbooks by what they hold, never by what they declare;
- `common.excel`: writing .xlsx exports that are safe to open (formula triggers neutralised);
- `common.downloads`: the HTTP response that hands a generated file to the browser.
"""
