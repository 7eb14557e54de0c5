"""The Excel workbooks are SpreadsheetML written from DuckDB: every value comes back as Excel (read here by
openpyxl) sees it, whatever the text holds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl

from orchestration.excel_export import write_workbook, write_workbooks

COLUMNS = [  # name, type, label, unit
    ("code", "VARCHAR", "编码", None),
    ("amount", "DECIMAL(24,6)", "金额", "万元"),
    ("rate", "DECIMAL(28,10)", "执行率", "ratio"),
    ("score", "DOUBLE", "得分", "分"),
    ("count", "BIGINT", "个数", None),
    ("flag", "BOOLEAN", "是否", None),
    ("day", "DATE", "日期", None),
    ("at", "TIMESTAMP", "时间", None),
]
ROWS = [
    ("A&B <c> \"d\" 'e'", Decimal("1234567.890123"), Decimal("0.8137500000"), 87.5, 3, True,
     dt.date(2017, 12, 31), dt.datetime(2018, 1, 2, 3, 4, 5)),
    ("  leading and trailing  ", Decimal("-0.010000"), None, float("nan"), 9007199254740993, False, None, None),
    ("控制\x01字符\x1f与换行\n", None, Decimal("1"), None, None, None, dt.date(1900, 3, 1), None),
]


def _database(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema marts; create schema meta")
    con.execute("create table marts.sample (" + ", ".join(f'"{n}" {t}' for n, t, _, _ in COLUMNS) + ")")
    con.executemany("insert into marts.sample values (" + ", ".join("?" * len(COLUMNS)) + ")", ROWS)
    con.execute("create table meta.columns (table_schema varchar, table_name varchar, column_name varchar, "
                "data_type varchar, label_zh varchar, description_en varchar, unit varchar, column_index integer, "
                "table_label_zh varchar)")
    con.executemany("insert into meta.columns values ('marts', 'sample', ?, ?, ?, ?, ?, ?, '样例')",
                    [(n, t, label, f"the {n}", unit, i) for i, (n, t, label, unit) in enumerate(COLUMNS)])
    return con


def _as_excel(value: object) -> object:
    """What a cell holds: a double for a decimal, a date as a date-time, nothing for NaN or NULL."""
    if value is None or value != value:
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value


def test_every_value_comes_back_as_excel_reads_it(tmp_path: Path) -> None:
    con = _database(tmp_path / "w.duckdb")
    assert write_workbook(con, "sample", tmp_path / "sample.xlsx") == 3
    book = openpyxl.load_workbook(tmp_path / "sample.xlsx")
    sheet, dictionary = book.worksheets
    assert (sheet.title, dictionary.title) == ("sample", "字典 dictionary")
    assert [c.value for c in sheet[1]] == [label for _, _, label, _ in COLUMNS]
    assert [c.value for c in sheet[2]] == [name for name, *_ in COLUMNS]
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:H5" and sheet.max_row == 5
    values = sorted(([c.value for c in row] for row in sheet.iter_rows(min_row=3)), key=lambda r: str(r[0]))
    expected = sorted(([row[0].replace("\x01", "").replace("\x1f", ""), *[_as_excel(v) for v in row[1:]]]
                       for row in ROWS), key=lambda r: str(r[0]))
    assert values == expected
    full = next(row for row in sheet.iter_rows(min_row=3) if row[0].value.startswith("A&B"))  # no NULL in it
    formats = {name: cell.number_format for (name, *_), cell in zip(COLUMNS, full, strict=True)}
    assert formats == {"code": "General", "amount": "#,##0.00", "rate": "0.00%", "score": "0.00",
                       "count": "General", "flag": "General", "day": "yyyy-mm-dd", "at": "yyyy-mm-dd hh:mm:ss"}
    assert [c.value for c in dictionary[3]] == ["code", "编码", "the code", None, "VARCHAR"]
    assert dictionary["A1"].value == "样例 (sample)"


def test_an_empty_mart_is_a_workbook_with_its_header_rows(tmp_path: Path) -> None:
    con = _database(tmp_path / "w.duckdb")
    con.execute("delete from marts.sample")
    con.close()
    written = write_workbooks(tmp_path / "w.duckdb", tmp_path / "xlsx", ["sample"])
    assert written == {"sample": 0}
    sheet = openpyxl.load_workbook(tmp_path / "xlsx" / "sample.xlsx").worksheets[0]
    assert sheet.max_row == 2 and sheet["A2"].value == "code"


def test_an_unchanged_mart_keeps_the_previous_publications_workbook(tmp_path: Path) -> None:
    """A workbook whose mart rows and dictionary are the previous publication's is linked from its folder, not
    written again; a changed row or a changed label writes it anew, with the new content."""
    con = _database(tmp_path / "w.duckdb")
    con.execute("create table marts.other as select * from marts.sample")
    con.execute("insert into meta.columns select table_schema, 'other', column_name, data_type, label_zh, "
                "description_en, unit, column_index, table_label_zh from meta.columns")
    con.close()
    marts = ["sample", "other"]
    write_workbooks(tmp_path / "w.duckdb", tmp_path / "first", marts)

    def inode(folder: str, table: str) -> int:
        return (tmp_path / folder / f"{table}.xlsx").stat().st_ino

    write_workbooks(tmp_path / "w.duckdb", tmp_path / "second", marts, previous=tmp_path / "first")
    assert inode("second", "sample") == inode("first", "sample") and inode("second", "other") == inode("first", "other")

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("update marts.sample set count = 4 where count = 3")  # one value of one mart
    con.close()
    written = write_workbooks(tmp_path / "w.duckdb", tmp_path / "third", marts, previous=tmp_path / "second")
    assert written == {"sample": 3, "other": 3}
    assert inode("third", "sample") != inode("second", "sample") and inode("third", "other") == inode("second", "other")
    counts = [row[4].value for row in openpyxl.load_workbook(tmp_path / "third" / "sample.xlsx").worksheets[0]
              .iter_rows(min_row=3)]
    assert 4 in counts and 3 not in counts

    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("update meta.columns set label_zh = '数量' where table_name = 'other' and column_name = 'count'")
    con.close()
    write_workbooks(tmp_path / "w.duckdb", tmp_path / "fourth", marts, previous=tmp_path / "third")
    assert inode("fourth", "sample") == inode("third", "sample") and inode("fourth", "other") != inode("third", "other")
    assert openpyxl.load_workbook(tmp_path / "fourth" / "other.xlsx").worksheets[0]["E1"].value == "数量"
