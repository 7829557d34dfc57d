"""Tables in and out. In: what people upload (CSV in UTF-8 or GBK, or XLSX) as rows of cells — an XLSX is a zip:
its parts' unpacked size is checked before it is opened, and openpyxl parses its XML through defusedxml. Out: any
table shown, as CSV (UTF-8 with BOM, so Excel reads the Chinese) or XLSX."""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from collections.abc import Iterator
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext as _

from .audit import Actor, record_download
from .errors import FieldError, ValidationFailed

MAX_XLSX_UNPACKED = 200 * 1024 * 1024


def read_table(data: bytes, name: str, max_rows: int | None = None) -> list[list]:
    """The header row and the rows after it. With `max_rows`, reading stops after `max_rows + 1` rows below the
    header — enough for the caller to see the file is over its limit without reading (or holding) the rest."""
    rows = _xlsx_rows(data) if name.lower().endswith(".xlsx") else _csv_rows(data)
    try:
        return list(itertools.islice(rows, None if max_rows is None else max_rows + 2))
    finally:
        rows.close()


def _csv_rows(data: bytes) -> Iterator[list]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")  # Excel on Chinese Windows saves CSV in GBK
        except UnicodeDecodeError as error:  # neither: not a text file (found by schemathesis: it was a 500)
            raise ValidationFailed(FieldError("unreadable", _("无法读取该文件：不是 UTF-8 或 GBK 编码的表格。"),
                                              "file")) from error  # fmt: skip
    try:
        yield from csv.reader(io.StringIO(text))
    except csv.Error as error:
        raise ValidationFailed(FieldError("unreadable", _("无法读取该 CSV 文件。"), "file")) from error


def _xlsx_rows(data: bytes) -> Iterator[list]:
    """Rows streamed from the first sheet (openpyxl's read-only mode parses the sheet's XML as it goes)."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise ValidationFailed(FieldError("too_large", _("表格解压后过大，已拒绝。"), "file"))
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ValidationFailed(FieldError("unreadable", _("无法读取该 XLSX 文件。"), "file")) from error
    try:
        for row in book.worksheets[0].iter_rows(values_only=True):
            yield [("" if cell is None else cell) for cell in row]
    finally:
        book.close()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _safe(value):
    # A cell starting with = + - @ would run as a formula in a spreadsheet (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def table_response(
    name: str,
    headers: list[str],
    rows: list[list],
    fmt: str,
    actor: Actor | None = None,
    object_type: str = "",
) -> HttpResponse:
    """A table as a download; with `actor`, audited as a download of `object_type` rows (data exports are;
    empty import templates need not be)."""
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet(name[:30])
        sheet.append(headers)
        for row in rows:
            sheet.append([_safe(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        response = HttpResponse(out.getvalue(), content_type=XLSX)
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows([[_safe(v) for v in row] for row in rows])
        response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
        fmt = "csv"
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}.{fmt}"
    if actor is not None:
        record_download(actor, None, f"{name}.{fmt}", object_type=object_type, rows=len(rows))
    return response
