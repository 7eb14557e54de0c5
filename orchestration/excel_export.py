"""The marts as Excel workbooks (data/marts/xlsx/), for analysts who work in Excel or WPS.

One workbook per mart: the data sheet has the Chinese labels in row 1 and the column names in row 2 (the
filter row), frozen; a dictionary sheet explains each column. Amounts are numbers shown with two
decimals, rates are numbers shown as percentages; nothing is turned into text. A mart with more rows
than Excel holds is not written: README.txt in the folder says so and where to read it instead.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb

from orchestration.file_links import hard_link
from orchestration.sql import limit_memory, sql_name

EXCEL_MAX_ROWS = 1_048_576
HEADER_ROWS = 2
# How a value is shown, by the unit its column is documented with (orchestration/dictionary.py).
UNIT_FORMATS = {"万元": "#,##0.00", "元": "#,##0.00", "ratio": "0.00%", "分": "0.00"}
DATE_FORMATS = {"DATE": "yyyy-mm-dd", "TIMESTAMP": "yyyy-mm-dd hh:mm:ss"}
FETCH_ROWS = 10_000
# Beside the workbooks: each one's fingerprint (workbook_fingerprint), which the next publication compares.
FINGERPRINTS = "_fingerprints.json"
_CODE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()  # a changed writer writes every workbook again

# The workbook is written as SpreadsheetML text, each data row built by DuckDB from the mart (one string a
# row): xlsxwriter wrote about 5 µs a cell in Python, 132 s of a 10,000 department-year refresh for about
# 35 million cells (docs/performance.md). The styles: 0 plain, 1 the label row, 2 the name row, then one per
# number format (Excel's built-in ids where there is one). Rows and cells carry no `r` reference: ECMA-376
# makes it optional (§18.3.1.4, §18.3.1.73) and readers place them in order (Excel, LibreOffice, Google
# Sheets, openpyxl, calamine); an empty cell is an empty `<c/>`.
NUMBER_FORMAT_IDS = {"#,##0.00": 4, "0.00%": 10, "0.00": 2, "yyyy-mm-dd": 164, "yyyy-mm-dd hh:mm:ss": 165}
FORMAT_STYLE = {fmt: 3 + i for i, fmt in enumerate(NUMBER_FORMAT_IDS)}
LABEL_STYLE, NAME_STYLE = 1, 2
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot carry (a control character in a text cell would make the file unreadable).
XML_ILLEGAL = r"[\x00-\x08\x0B\x0C\x0E-\x1F]"  # as escapes (RE2 and Python read them): no raw control character in SQL


def number_format(data_type: str, unit: str | None) -> str | None:
    if unit in UNIT_FORMATS and (data_type.startswith("DECIMAL") or data_type in ("DOUBLE", "FLOAT")):
        return UNIT_FORMATS[unit]
    return DATE_FORMATS.get(data_type)


def _is_number(data_type: str) -> bool:
    return data_type.startswith("DECIMAL") or data_type in (
        "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
        "FLOAT", "DOUBLE")


def _cell_sql(name: str, data_type: str, unit: str | None) -> str:
    """The SQL of one cell's XML (`<c/>` for a null): a number (a decimal as its exact digits, which Excel reads
    as a double), a boolean, a date or timestamp as Excel's day number, anything else as text."""
    column = sql_name(name)
    fmt = number_format(data_type, unit)
    style = f' s="{FORMAT_STYLE[fmt]}"' if fmt else ""
    if _is_number(data_type):
        value = f"cast({column} as varchar)"
        if data_type in ("FLOAT", "DOUBLE"):  # NaN and infinities have no cell value
            value = f"case when isfinite({column}) then {value} end"
        xml = f"'<c{style}><v>' || {value} || '</v></c>'"
    elif data_type == "BOOLEAN":
        xml = f"'<c t=\"b\"><v>' || cast(cast({column} as integer) as varchar) || '</v></c>'"
    elif data_type == "DATE":
        xml = f"'<c{style}><v>' || cast(date_diff('day', DATE '1899-12-30', {column}) as varchar) || '</v></c>'"
    elif data_type == "TIMESTAMP":
        xml = (f"'<c{style}><v>' || cast(epoch({column}) / 86400.0 + 25569 as varchar) || '</v></c>'")
    else:
        text = f"cast({column} as varchar)"
        for raw, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
            text = f"replace({text}, '{raw}', '{escaped}')"
        text = f"regexp_replace({text}, '{XML_ILLEGAL}', '', 'g')"
        xml = f"'<c t=\"inlineStr\"><is><t xml:space=\"preserve\">' || {text} || '</t></is></c>'"
    return f"coalesce({xml}, '<c/>')"


def _text_cell(value: object, style: int = 0) -> str:
    if value is None or value == "":
        return "<c/>"
    text = re.sub(XML_ILLEGAL, "", escape(str(value)))  # the same class as the data cells' SQL
    s = f' s="{style}"' if style else ""
    return f'<c t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def _row(values: Iterable[object], style: int = 0) -> str:
    return "<row>" + "".join(_text_cell(v, style) for v in values) + "</row>"


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _sheet_head(widths: list[float], frozen_rows: int, dimension: str) -> str:
    pane = (f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/>') if frozen_rows else ""
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    return (f'{XML_HEAD}<worksheet xmlns="{MAIN}" xmlns:r="{RELS}"><dimension ref="{dimension}"/>'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")


def _styles() -> str:
    custom = "".join(f'<numFmt numFmtId="{i}" formatCode="{escape(f)}"/>' for f, i in NUMBER_FORMAT_IDS.items()
                     if i >= 164)
    number_xfs = "".join(f'<xf numFmtId="{i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
                         for i in NUMBER_FORMAT_IDS.values())
    return (f'{XML_HEAD}<styleSheet xmlns="{MAIN}"><numFmts count="{custom.count("<numFmt ")}">{custom}</numFmts>'
            '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font>'
            '<font><i/><sz val="11"/><color rgb="FF555555"/><name val="Calibri"/></font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/>'
            '</fill><fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/>'
            '</patternFill></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{3 + len(NUMBER_FORMAT_IDS)}">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
            'applyAlignment="1"><alignment vertical="top" wrapText="1"/></xf>'
            '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
            f'{number_xfs}</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
            '</cellStyles></styleSheet>')


def _package(book: zipfile.ZipFile, sheet_names: list[str], filter_ref: str | None) -> None:
    """The parts around the two sheets: content types, relationships, the workbook and its styles."""
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{SHEET_TYPE}"/>'
                        for i in range(1, len(sheet_names) + 1))
    book.writestr("[Content_Types].xml", (
        f'{XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>{overrides}</Types>'))
    book.writestr("_rels/.rels", (
        f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}"><Relationship Id="rId1" '
        f'Type="{RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'))
    sheet_rels = "".join(f'<Relationship Id="rId{i}" Type="{RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                         for i in range(1, len(sheet_names) + 1))
    book.writestr("xl/_rels/workbook.xml.rels", (
        f'{XML_HEAD}<Relationships xmlns="{PACKAGE_RELS}">{sheet_rels}<Relationship Id="rId{len(sheet_names) + 1}" '
        f'Type="{RELS}/styles" Target="styles.xml"/></Relationships>'))
    sheets = "".join(f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, name in enumerate(sheet_names, start=1))
    defined = ""
    if filter_ref:
        quoted = "'" + sheet_names[0].replace("'", "''") + "'"
        defined = (f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
                   f'{escape(quoted)}!{filter_ref}</definedName></definedNames>')
    book.writestr("xl/workbook.xml", (
        f'{XML_HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELS}"><bookViews><workbookView/></bookViews>'
        f'<sheets>{sheets}</sheets>{defined}</workbook>'))
    book.writestr("xl/styles.xml", _styles())


def write_workbook(con: duckdb.DuckDBPyConnection, table: str, target: Path) -> int:
    """marts.<table> of the connection's database as one workbook; returns the rows written."""
    columns = con.execute(
        "select column_name, data_type, label_zh, description_en, unit from meta.columns "
        "where table_schema = 'marts' and table_name = ? order by column_index", [table]).fetchall()
    table_label = con.execute("select any_value(table_label_zh) from meta.columns where table_schema = 'marts' "
                              "and table_name = ?", [table]).fetchone()[0] or table
    widths = [max(10, min(40, 2 * len(label or name) + 2)) for name, _, label, _, _ in columns]
    count = con.execute(f"select count(*) from marts.{sql_name(table)}").fetchone()[0]
    last = _column_letters(max(0, len(columns) - 1))
    rows = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_sheet_head(widths, HEADER_ROWS, f"A1:{last}{HEADER_ROWS + count}").encode())
            sheet.write(_row([label or name for name, _, label, _, _ in columns], LABEL_STYLE).encode())
            sheet.write(_row([name for name, *_ in columns], NAME_STYLE).encode())
            if columns:
                cells = " || ".join(_cell_sql(name, data_type, unit) for name, data_type, _, _, unit in columns)
                cursor = con.execute(f"select '<row>' || {cells} || '</row>' from "
                                     f"(select * from marts.{sql_name(table)} order by all)")
                while batch := cursor.fetchmany(FETCH_ROWS):
                    sheet.write("".join(row for (row,) in batch).encode())
                    rows += len(batch)
            filter_ref = f"$A${HEADER_ROWS}:${last}${HEADER_ROWS + rows}"
            sheet.write(f'</sheetData><autoFilter ref="{filter_ref.replace("$", "")}"/></worksheet>'.encode())
        dictionary = [_row([f"{table_label} ({table})"], LABEL_STYLE),
                      _row(["列 column", "中文名 label", "说明 description", "单位 unit", "类型 type"], LABEL_STYLE)]
        dictionary += [_row([name, label or "", description or "", unit or "", data_type])
                       for name, data_type, label, description, unit in columns]
        book.writestr("xl/worksheets/sheet2.xml", _sheet_head([24, 24, 80], 0, f"A1:E{len(dictionary)}")
                      + "".join(dictionary)
                      + "</sheetData></worksheet>")
        _package(book, [table[:31], "字典 dictionary"], filter_ref)
    return rows


def _read_fingerprints(folder: Path | None) -> dict[str, str]:
    try:
        return json.loads((folder / FINGERPRINTS).read_text(encoding="utf-8")) if folder else {}
    except (OSError, ValueError):
        return {}


def workbook_fingerprint(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """What a mart's workbook is made of: its rows (count and the sum of their hashes), its dictionary rows
    and this module's code. Equal fingerprints, equal workbooks."""
    rows = con.execute(f"select count(*), sum(hash(t)::hugeint) from marts.{sql_name(table)} as t").fetchone()
    dictionary = con.execute("select list(columns order by column_index) from (select column_index, "
                             "row(column_name, data_type, label_zh, description_en, unit, table_label_zh) as columns "
                             "from meta.columns where table_schema = 'marts' and table_name = ?)", [table]).fetchone()
    return hashlib.sha256(repr((rows, dictionary, _CODE)).encode()).hexdigest()


def write_workbooks(db: Path, folder: Path, marts: list[str], max_rows: int | None = None,
                    previous: Path | None = None) -> dict[str, int | None]:
    """Each mart of the published database `db` as `folder/<mart>.xlsx`, unless it has more than `max_rows`
    rows (default and at most: what a sheet holds under the header rows; None in the result, and README.txt
    names it). The folder must not exist. A workbook of the `previous` publication's folder whose mart is
    unchanged (the same fingerprint, recorded in FINGERPRINTS) is linked, not written again: a refresh of
    one department rewrites the workbooks of the marts it changed only."""
    limit = EXCEL_MAX_ROWS - HEADER_ROWS
    max_rows = limit if max_rows is None else min(max_rows, limit)
    folder.mkdir(parents=True)
    written: dict[str, int | None] = {}
    before = _read_fingerprints(previous)
    fingerprints: dict[str, str] = {}
    con = limit_memory(duckdb.connect(str(db), read_only=True))
    try:
        for table in marts:
            rows = con.execute(f"select count(*) from marts.{sql_name(table)}").fetchone()[0]
            if rows > max_rows:
                written[table] = None
                continue
            target = folder / f"{table}.xlsx"
            fingerprints[table] = workbook_fingerprint(con, table)
            if previous is not None and before.get(table) == fingerprints[table] and hard_link(
                    previous / f"{table}.xlsx", target):
                written[table] = rows
            else:
                written[table] = write_workbook(con, table, target)
    finally:
        con.close()
    (folder / FINGERPRINTS).write_text(json.dumps(fingerprints, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    lines = ["各数据表的 Excel 文件：第1行为中文列名，第2行为字段名；“字典 dictionary”工作表说明每一列。",
             "One workbook per mart: Chinese labels in row 1, column names in row 2; the sheet 'dictionary' "
             "explains every column. Amounts in 万元 with two decimals; rates as percentages.", ""]
    for table, rows in written.items():
        lines.append(f"{table}.xlsx: {rows} rows" if rows is not None else
                     f"{table}: not written, more rows than {max_rows:,} (what a sheet holds, or the limit "
                     f"WAREHOUSE_XLSX_MAX_ROWS sets); read "
                     f"marts.{table} in warehouse.duckdb or the Parquet files parquet/{table}/")
    (folder / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written
