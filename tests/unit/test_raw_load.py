"""The raw loader: every accepted encoding and format, either header language, consolidated
files, lineage, replacement of a reloaded year, and rejection of unreadable files."""

from __future__ import annotations

from pathlib import Path

import duckdb
import openpyxl
import pytest
from corpus import seed_rows, write_csv

from orchestration.contract import load_contract
from orchestration.quality.contract_validation import Violation
from orchestration.raw_files import RawFileReader
from orchestration.raw_load import load_year

CONTRACT = load_contract()


def load(raw_dir: Path, db: Path, year: int = 2017):
    files = RawFileReader(CONTRACT, raw_dir, db.parent / "converted").collect(year)
    con = duckdb.connect(str(db))
    try:
        load_year(con, CONTRACT, files)
    finally:
        con.close()
    return files


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


BUDGET_LINES_SQL = ("select line_no, project_name, final_budget, actual_spend, stated_execution_rate, "
                    "_source_file, _source_row from raw.budget_lines order by _source_file, _source_row")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_each_encoding_loads_the_same_rows(tmp_path, encoding):
    write_csv(tmp_path / "raw/2017/WH-DHZB/budget_lines.csv", seed_rows("budget_lines"), encoding)
    files = load(tmp_path / "raw", tmp_path / "w.duckdb")
    assert files.rejections == []
    assert files.files[0].encoding == encoding
    got = rows(tmp_path / "w.duckdb", BUDGET_LINES_SQL)
    assert len(got) == 14
    assert got[0] == ("1", "日常办公经费", "135.00", "130.84", "96.92%", "2017/WH-DHZB/budget_lines.csv", 2)
    assert got[-1][1] == "合计" and got[-1][-1] == 15


def test_headers_in_either_language_and_consolidated_files_in_one_read(tmp_path):
    seed = seed_rows("budget_lines")
    english = [[c.name for c in CONTRACT.kinds["budget_lines"].columns]]
    # A finance bureau's consolidated export with English headers for two other departments ...
    other = [english[0]] + [["D-002" if i == 0 else v for i, v in enumerate(r)] for r in seed[1:3]] \
        + [["D-003" if i == 0 else v for i, v in enumerate(r)] for r in seed[1:2]]
    write_csv(tmp_path / "raw/2017/budget_lines.csv", other)
    # ... beside one department's own file with Chinese headers.
    write_csv(tmp_path / "raw/2017/WH-DHZB/budget_lines.csv", seed)
    load(tmp_path / "raw", tmp_path / "w.duckdb")
    got = rows(tmp_path / "w.duckdb", "select department_code, count(*), min(_source_row), max(_source_row), "
               "min(_source_file), count(final_budget) from raw.budget_lines group by 1 order by 1")
    assert got == [
        ("D-002", 2, 2, 3, "2017/budget_lines.csv", 2),
        ("D-003", 1, 4, 4, "2017/budget_lines.csv", 1),
        ("WH-DHZB", 14, 2, 15, "2017/WH-DHZB/budget_lines.csv", 14),
    ]


def test_files_sharing_a_header_and_a_file_with_its_columns_in_another_order_load_alike(tmp_path):
    # Files with the same header are read together (the reader sniffs the first only); a different
    # header is read on its own, so its columns still land by name.
    seed = seed_rows("budget_lines")
    for code in ("D-001", "D-002", "D-003"):
        write_csv(tmp_path / f"raw/2017/{code}/budget_lines.csv",
                  [seed[0]] + [[code if i == 0 else v for i, v in enumerate(r)] for r in seed[1:]])
    write_csv(tmp_path / "raw/2017/D-004/budget_lines.csv",
              [list(reversed(r)) for r in [seed[0]] + [["D-004", *r[1:]] for r in seed[1:]]])
    load(tmp_path / "raw", tmp_path / "w.duckdb")
    got = rows(tmp_path / "w.duckdb", "select department_code, count(*), min(_source_row), max(_source_row), "
               "sum(final_budget::decimal(18,2)), string_agg(project_name, '|' order by _source_row) "
               "from raw.budget_lines group by 1 order by 1")
    assert [r[0] for r in got] == ["D-001", "D-002", "D-003", "D-004"]
    assert {r[1:] for r in got} == {got[0][1:]}
    assert got[0][1:4] == (14, 2, 15)


def test_xlsx_workbook_sheets_by_kind_with_spreadsheet_row_numbers(tmp_path):
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("项目支出明细")  # the Chinese label names the kind too
    for r in seed_rows("budget_lines"):
        sheet.append([float(v) if v.replace(".", "", 1).isdigit() and "." in v else v for v in r])
    sheet.insert_rows(5)  # a blank row in the sheet: row numbers must still match the spreadsheet
    staff = book.create_sheet("staffing")
    for r in seed_rows("staffing"):
        staff.append(r)
    book.save(tmp_path / "book.xlsx")
    (tmp_path / "raw/2017").mkdir(parents=True)
    (tmp_path / "book.xlsx").rename(tmp_path / "raw/2017/submission.xlsx")
    files = load(tmp_path / "raw", tmp_path / "w.duckdb")
    # The workbook lacks the other sheets a department must submit: noted, nothing quarantined.
    assert [(r.source_file, r.check_name, r.quarantines) for r in files.rejections] == [
        ("2017/submission.xlsx", "workbook_sheets", False)]
    assert "three_public (三公经费)" in files.rejections[0].reason
    got = rows(tmp_path / "w.duckdb", BUDGET_LINES_SQL)
    assert got[0] == ("1", "日常办公经费", "135", "130.84", "96.92%", "2017/submission.xlsx#项目支出明细", 2)
    assert [r[-1] for r in got[2:5]] == [4, 6, 7]  # row 5 is the blank one
    assert rows(tmp_path / "w.duckdb", "select count(*) from raw.staffing") == [(7,)]


def test_reloading_a_year_replaces_it(tmp_path):
    write_csv(tmp_path / "raw/2017/WH-DHZB/budget_lines.csv", seed_rows("budget_lines"))
    write_csv(tmp_path / "raw/2018/WH-DHZB/budget_lines.csv",
              [r if i == 0 else [r[0], "2018", *r[2:]] for i, r in enumerate(seed_rows("budget_lines"))])
    load(tmp_path / "raw", tmp_path / "w.duckdb", 2017)
    load(tmp_path / "raw", tmp_path / "w.duckdb", 2018)
    load(tmp_path / "raw", tmp_path / "w.duckdb", 2017)
    (tmp_path / "raw/2017/WH-DHZB/budget_lines.csv").unlink()
    write_csv(tmp_path / "raw/2017/WH-DHZB/budget_lines.csv", seed_rows("budget_lines")[:3])
    load(tmp_path / "raw", tmp_path / "w.duckdb", 2017)
    assert rows(tmp_path / "w.duckdb", "select _partition_year, count(*) from raw.budget_lines group by 1 "
                "order by 1") == [(2017, 2), (2018, 14)]
    assert rows(tmp_path / "w.duckdb", "select count(*) from raw._load_manifest where _partition_year = 2017") \
        == [(1,)]


def test_unreadable_files_are_rejected_and_the_rest_loads(tmp_path):
    year = tmp_path / "raw/2017"
    write_csv(year / "A/budget_lines.csv", seed_rows("budget_lines"))
    (year / "B").mkdir()
    (year / "B/budget_lines.csv").write_bytes(b"")
    (year / "B/staffing.csv").write_bytes("部门编码,年度\nB,2017\n".encode())
    (year / "B/notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (year / "B/three_public.csv").write_bytes(b"\xff\xfe\x00\x00\x81\x30")
    files = load(tmp_path / "raw", tmp_path / "w.duckdb")
    reasons = {r.source_file: r.reason for r in files.rejections}
    assert reasons["2017/B/budget_lines.csv"] == "empty file: no header row"
    assert reasons["2017/B/staffing.csv"].startswith("missing required column(s): line_no (行号)")
    assert "headcount (人数)" in reasons["2017/B/staffing.csv"]
    assert reasons["2017/B/notes.csv"].startswith("unknown file kind 'notes'")
    assert reasons["2017/B/three_public.csv"].startswith("encoding is none of")
    assert rows(tmp_path / "w.duckdb", "select count(*) from raw.budget_lines") == [(14,)]
    assert rows(tmp_path / "w.duckdb", "select count(*), count(distinct source_file) from raw._contract_findings "
                "where action like '%quarantined%'") == [(4, 4)]


def test_raw_keeps_text_as_written(tmp_path):
    write_csv(tmp_path / "raw/2017/WH-DHZB/budget_lines.csv", seed_rows("budget_lines"))
    load(tmp_path / "raw", tmp_path / "w.duckdb")
    assert rows(tmp_path / "w.duckdb", "select stated_variance from raw.budget_lines where line_no = '10'") \
        == [("     -   ",)]


def test_a_bad_row_in_a_consolidated_file_quarantines_that_departments_rows_only(tmp_path):
    seed = seed_rows("budget_lines")
    export = [seed[0]] + [[code, *r[1:]] for code in ("D-1", "D-2", "D-3") for r in seed[1:]]
    path = tmp_path / "raw/2017/budget_lines.csv"
    write_csv(path, export)
    load(tmp_path / "raw", tmp_path / "w.duckdb")
    bad = [list(r) for r in export]
    bad[16][bad[0].index("决算金额")] = "一百"  # row 17 of the file: D-2's second line
    write_csv(path, bad)
    load(tmp_path / "raw", tmp_path / "w.duckdb")
    assert rows(tmp_path / "w.duckdb", "select department_code, count(*) from raw.budget_lines group by 1 "
                "order by 1") == [("D-1", 14), ("D-2", 14), ("D-3", 14)]
    assert rows(tmp_path / "w.duckdb", "select actual_spend from raw.budget_lines where department_code = 'D-2' "
                "and line_no = '2'") == [("387.21",)]  # the previous version of D-2's rows
    assert rows(tmp_path / "w.duckdb", "select source_file, source_row, source_column, action "
                "from raw._contract_findings") == [("2017/budget_lines.csv", 17, "actual_spend",
                                                   "rows of D-2 in this file quarantined; their previous "
                                                   "version stays loaded")]


def test_many_bad_rows_of_one_department_in_a_consolidated_file_quarantine_that_department_only(tmp_path):
    seed = seed_rows("budget_lines")
    column = seed[0].index("决算金额")
    export = [seed[0]] + [[code, *r[1:]] for code in ("D-1", "D-2", "D-3") for r in seed[1:]]
    # D-2's two tables (28 rows) all break the contract: more rows than a check reports one by one.
    export += [[*r[:2], str(100 + i), *r[3:column], "一百", *r[column + 1:]]
               for i, r in enumerate(seed[1:] * 2) for r in [["D-2", *r[1:]]]]
    write_csv(tmp_path / "raw/2017/budget_lines.csv", export)
    load(tmp_path / "raw", tmp_path / "w.duckdb")
    assert rows(tmp_path / "w.duckdb", "select department_code, count(*) from raw.budget_lines group by 1 "
                "order by 1") == [("D-1", 14), ("D-3", 14)]
    findings = rows(tmp_path / "w.duckdb", "select source_row, reason, action from raw._contract_findings "
                    "order by source_row")
    assert len(findings) == 21
    assert "8 more rows like these, from row 64" in findings[-1][1]
    assert {action for _, _, action in findings} == {"rows of D-2 in this file quarantined; no previous version"}


def without_column(table: list[list[str]], header: str) -> list[list[str]]:
    at = table[0].index(header)
    return [r[:at] + r[at + 1:] for r in table]


def test_findings_of_a_quarantined_file_carry_the_department_code_it_states(tmp_path):
    year = tmp_path / "raw/2017"
    bad_amount = seed_rows("budget_lines")
    bad_amount[2][bad_amount[0].index("决算金额")] = "一百"  # row 3 of the file
    write_csv(year / "WH-DHZB/budget_lines.csv", bad_amount)
    # A file rejected before it is staged (a required column missing): its rows state one code ...
    write_csv(year / "WH-DHZB/staffing.csv", without_column(seed_rows("staffing"), "行号") + [[""] * 7])
    # ... or two, or a row states none: then the file states no department code.
    two = without_column(seed_rows("three_public"), "序号")
    write_csv(year / "WH-DHZB/three_public.csv", two[:2] + [["WH-OTHER", *r[1:]] for r in two[2:]])
    none = without_column(seed_rows("indicators"), "年度")
    write_csv(year / "WH-DHZB/indicators.csv", none[:2] + [["", *r[1:]] for r in none[2:3]] + none[3:])
    # A workbook sheet lacking a required column, in a workbook of two kinds missing the others a department submits.
    book = openpyxl.Workbook()
    book.remove(book.active)
    sheet = book.create_sheet("budget_summary")
    for r in without_column([["D-7" if i and j == 0 else v for j, v in enumerate(r)]
                             for i, r in enumerate(seed_rows("budget_summary"))], "年度"):
        sheet.append(r)
    profile = book.create_sheet("department_profile")
    for i, r in enumerate(seed_rows("department_profile")):
        profile.append(["D-7" if i and j == 0 else v for j, v in enumerate(r)])
    book.save(year / "D-7.xlsx")
    files = load(tmp_path / "raw", tmp_path / "w.duckdb")
    assert {r.source_file: r.department_code for r in files.rejections} == {
        "2017/WH-DHZB/staffing.csv": "WH-DHZB", "2017/WH-DHZB/three_public.csv": None,
        "2017/WH-DHZB/indicators.csv": None, "2017/D-7.xlsx": "D-7", "2017/D-7.xlsx#budget_summary": "D-7"}
    quarantined = "file quarantined; no previous version"
    assert rows(tmp_path / "w.duckdb", "select source_file, source_row, source_column, department_code, action "
                "from raw._contract_findings order by source_file, source_row") == [
        ("2017/D-7.xlsx", None, None, "D-7", "noted"),
        ("2017/D-7.xlsx#budget_summary", None, "fiscal_year", "D-7", quarantined),
        ("2017/WH-DHZB/budget_lines.csv", 3, "actual_spend", "WH-DHZB", quarantined),
        ("2017/WH-DHZB/indicators.csv", None, "fiscal_year", None, quarantined),
        ("2017/WH-DHZB/staffing.csv", None, "line_no", "WH-DHZB", quarantined),
        ("2017/WH-DHZB/three_public.csv", None, "line_no", None, quarantined),
    ]


def test_file_level_findings_of_a_staged_file_carry_the_code_all_its_rows_state(tmp_path):
    def cannot_check(kind, frame, year):  # a check that fails for the whole file
        return [Violation(f, kind, None, "line_no", "expect_check", None, "line_no could not be checked")
                for f in sorted(frame["_source_file"].unique())]

    year = tmp_path / "raw/2017"
    seed = seed_rows("budget_lines")
    column = seed[0].index("决算金额")
    one = [list(r) for r in seed]
    one[2][column] = "一百"
    write_csv(year / "A/budget_lines.csv", one)
    two = [seed[0]] + [[code, *r[1:]] for code in ("D-1", "D-2") for r in seed[1:]]
    two[2][column] = "一百"
    write_csv(year / "budget_lines.csv", two)
    files = RawFileReader(CONTRACT, tmp_path / "raw", tmp_path / "converted").collect(2017)
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        load_year(con, CONTRACT, files, cannot_check)
    assert rows(tmp_path / "w.duckdb", "select source_file, department_code from raw._contract_findings "
                "order by 1") == [("2017/A/budget_lines.csv", "WH-DHZB"), ("2017/budget_lines.csv", None)]


def test_a_findings_table_from_before_department_codes_gains_the_column(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema raw")
        con.execute("""create table raw._contract_findings (
            _partition_year integer, source_file varchar, kind varchar, source_row integer, source_column varchar,
            check_name varchar, value varchar, reason varchar, action varchar, _loaded_at timestamp)""")
        con.execute("insert into raw._contract_findings (_partition_year, source_file) values (2016, 'old.csv')")
    write_csv(tmp_path / "raw/2017/WH-DHZB/staffing.csv", without_column(seed_rows("staffing"), "行号"))
    load(tmp_path / "raw", tmp_path / "w.duckdb")
    assert rows(tmp_path / "w.duckdb", "select _partition_year, source_file, department_code from "
                "raw._contract_findings order by 1") == [(2016, "old.csv", None),
                                                         (2017, "2017/WH-DHZB/staffing.csv", "WH-DHZB")]
