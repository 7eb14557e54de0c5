"""The marts as Excel workbooks (data/marts/xlsx/), for analysts who work in Excel or WPS.

One workbook per mart: the data sheet has the Chinese labels in row 1 and the column names in row 2 (the
filter row), frozen; a dictionary sheet explains each column. Amounts are numbers shown with two
decimals, rates are numbers shown as percentages; nothing is turned into text. A mart with more rows
than Excel holds is not written: README.txt in the folder says so and where to read it instead.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import xlsxwriter

from orchestration.sql import sql_name

EXCEL_MAX_ROWS = 1_048_576
HEADER_ROWS = 2
# How a value is shown, by the unit its column is documented with (orchestration/dictionary.py).
UNIT_FORMATS = {"万元": "#,##0.00", "元": "#,##0.00", "ratio": "0.00%", "分": "0.00"}
DATE_FORMATS = {"DATE": "yyyy-mm-dd", "TIMESTAMP": "yyyy-mm-dd hh:mm:ss"}
FETCH_ROWS = 10_000


def number_format(data_type: str, unit: str | None) -> str | None:
    if unit in UNIT_FORMATS and (data_type.startswith("DECIMAL") or data_type in ("DOUBLE", "FLOAT")):
        return UNIT_FORMATS[unit]
    return DATE_FORMATS.get(data_type)


def _excel_value(value: object) -> object:
    if isinstance(value, (list, dict, tuple)):
        return str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, Decimal):
        return float(value)  # an Excel cell holds a double; the exact decimal stays in the DuckDB file
    return value


def write_workbook(con: duckdb.DuckDBPyConnection, table: str, target: Path) -> int:
    """marts.<table> of the connection's database as one workbook; returns the rows written."""
    columns = con.execute(
        "select column_name, data_type, label_zh, description_en, unit from meta.columns "
        "where table_schema = 'marts' and table_name = ? order by column_index", [table]).fetchall()
    table_label = con.execute("select any_value(table_label_zh) from meta.columns where table_schema = 'marts' "
                              "and table_name = ?", [table]).fetchone()[0] or table
    book = xlsxwriter.Workbook(str(target), {"constant_memory": True})
    try:
        label_style = book.add_format({"bold": True, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"})
        name_style = book.add_format({"italic": True, "font_color": "#555555"})
        styles = {fmt: book.add_format({"num_format": fmt}) for fmt in {*UNIT_FORMATS.values(), *DATE_FORMATS.values()}}
        sheet = book.add_worksheet(table[:31])
        formats = [styles.get(number_format(data_type, unit)) for _, data_type, _, _, unit in columns]
        for index, (name, _, label, _, _) in enumerate(columns):
            sheet.set_column(index, index, max(10, min(40, 2 * len(label or name) + 2)))
        # constant_memory writes a row out once a later row is begun: rows strictly in order.
        sheet.write_row(0, 0, [label or name for name, _, label, _, _ in columns], label_style)
        sheet.write_row(1, 0, [name for name, *_ in columns], name_style)
        sheet.freeze_panes(HEADER_ROWS, 0)
        cursor = con.execute(f"select * from marts.{sql_name(table)} order by all")
        row_number = HEADER_ROWS
        while batch := cursor.fetchmany(FETCH_ROWS):
            for row in batch:
                for index, value in enumerate(row):
                    if value is not None:
                        sheet.write(row_number, index, _excel_value(value), formats[index])
                row_number += 1
        sheet.autofilter(HEADER_ROWS - 1, 0, max(HEADER_ROWS - 1, row_number - 1), max(0, len(columns) - 1))
        dictionary = book.add_worksheet("字典 dictionary")
        dictionary.write_string(0, 0, f"{table_label} ({table})", label_style)
        for index, heading in enumerate(["列 column", "中文名 label", "说明 description", "单位 unit", "类型 type"]):
            dictionary.write_string(1, index, heading, label_style)
        for line, (name, data_type, label, description, unit) in enumerate(columns, start=2):
            dictionary.write_row(line, 0, [name, label or "", description or "", unit or "", data_type])
        dictionary.set_column(0, 1, 24)
        dictionary.set_column(2, 2, 80)
    finally:
        book.close()
    return row_number - HEADER_ROWS


def write_workbooks(db: Path, folder: Path, marts: list[str], max_rows: int | None = None) -> dict[str, int | None]:
    """Each mart of the published database `db` as `folder/<mart>.xlsx`, unless it has more than `max_rows`
    rows (default and at most: what a sheet holds under the header rows; None in the result, and README.txt
    names it). The folder must not exist."""
    limit = EXCEL_MAX_ROWS - HEADER_ROWS
    max_rows = limit if max_rows is None else min(max_rows, limit)
    folder.mkdir(parents=True)
    written: dict[str, int | None] = {}
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in marts:
            rows = con.execute(f"select count(*) from marts.{sql_name(table)}").fetchone()[0]
            written[table] = write_workbook(con, table, folder / f"{table}.xlsx") if rows <= max_rows else None
    finally:
        con.close()
    lines = ["各数据表的 Excel 文件：第1行为中文列名，第2行为字段名；“字典 dictionary”工作表说明每一列。",
             "One workbook per mart: Chinese labels in row 1, column names in row 2; the sheet 'dictionary' "
             "explains every column. Amounts in 万元 with two decimals; rates as percentages.", ""]
    for table, rows in written.items():
        lines.append(f"{table}.xlsx: {rows} rows" if rows is not None else
                     f"{table}: not written, more rows than {max_rows:,} (what a sheet holds, or the limit "
                     f"WAREHOUSE_XLSX_MAX_ROWS sets); read "
                     f"marts.{table} in warehouse.duckdb or parquet/{table}.parquet")
    (folder / "README.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return written
