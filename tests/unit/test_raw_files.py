"""Unit tests of the raw-file screen: headers, rows, year folders, links and what a finding may quote,
without a refresh (the corpus test, tests/integration/test_bad_inputs.py, runs them through the whole warehouse)."""

from __future__ import annotations

import os

import duckdb
import pytest

from orchestration.contract import load_contract
from orchestration.raw_files import (
    QUOTED_MAX,
    RawFileReader,
    ReadableFile,
    YearFiles,
    fiscal_years,
    header_findings,
    quoted,
    raw_layout,
    scan_rows,
    year_of_folder,
)
from orchestration.raw_load import load_year

CONTRACT = load_contract()
THREE = CONTRACT.kinds["three_public"]
LINES = CONTRACT.kinds["budget_lines"]


@pytest.mark.parametrize(("name", "year"), [
    ("2017", 2017), ("２０１７", 2017), ("2017 ", 2017), (" 2017", 2017), ("2017\u3000", 2017),
    ("2017-old", None), ("17", None), ("backup", None), ("20170", None),
])
def test_year_folders_are_read_with_full_width_digits_and_spaces(name, year):
    assert year_of_folder(name) == year


def test_a_finding_quotes_one_cell_escaped_and_cut():
    assert quoted("\ufeffWH") == "\\ufeffWH"
    assert quoted("a\x00b") == "a\\u0000b"
    long = quoted("x" * 500)
    assert len(long) == QUOTED_MAX + 1 and long.endswith("…")


def _checks(findings) -> list[tuple]:
    return [(f.check_name, f.column, f.quarantines) for f in findings]


def test_a_renamed_optional_header_quarantines_and_an_unrelated_one_is_noted():
    header = ["部门编码", "年度", "序号", "经费类别", "经费名称", "预算金额", "实际支出数", "联系人"]
    found = header_findings(THREE, header, "x.csv")
    assert ("unknown_header", "actual", True) in _checks(found)
    assert ("unknown_header", None, False) in _checks(found)
    renamed = next(f for f in found if f.column == "actual")
    assert "实际支出数" in renamed.reason and "支出金额" in renamed.reason and renamed.value == "实际支出数"


def test_two_headers_for_one_column_quarantine():
    header = ["department_code", "年度", "序号", "项目名称", "最终预算", "final_budget", "决算金额", "行类型",
              "金额单位"]
    assert ("duplicate_header", "final_budget", True) in _checks(header_findings(LINES, header, "x.csv"))


def test_known_headers_in_either_language_give_nothing():
    header = ["department_code", "fiscal_year", "序号", "项目名称", "最终预算", "actual_spend", "行类型", "金额单位"]
    assert header_findings(LINES, header, "x.csv") == []


def test_rows_keep_their_spreadsheet_numbers_and_lose_invisible_characters():
    header = ["部门编码", "年度", "序号"]
    records = [(2, ["A", "2017", "1"]), (3, []), (4, ["", "", ""]), (5, ["\ufeffA", "2017", "2"]),
               (6, ["A", "2017", "3", "", ""]), (7, ["部门编码", "年度", "序号"]), (8, ["A", "2017", "4", "x"])]
    scanned = scan_rows(LINES, header, records, "x.csv")
    assert [row for row, _ in scanned.rows] == [2, 5, 6, 8]
    assert scanned.rows[1][1] == ["A", "2017", "2"] and scanned.rows[2][1] == ["A", "2017", "3"]
    assert scanned.renumbered
    assert [(f.check_name, f.row, f.quarantines) for f in scanned.findings] == [
        ("invisible_characters", 5, False), ("header_repeated", 7, False), ("extra_fields", 8, True)]


def test_a_clean_file_needs_no_renumbering():
    scanned = scan_rows(LINES, ["a", "b"], [(2, ["1", "2"]), (3, ["3", "4"])], "x.csv")
    assert not scanned.renumbered and scanned.findings == []


def test_the_raw_folder_reports_what_is_no_year_and_no_documentation(tmp_path):
    raw = tmp_path / "raw"
    for folder in ("2017", "２０１８", "2019 ", "backup", ".git"):
        (raw / folder).mkdir(parents=True)
    (raw / "README.md").write_text("notes")
    (raw / "_injections.csv").write_text("x")
    (raw / "budget_lines.csv").write_text("x")
    layout = raw_layout(raw, CONTRACT)
    assert sorted(layout.years) == [2017, 2018, 2019] == fiscal_years(raw)
    assert sorted((s.source_file, s.check_name) for s in layout.strays) == [
        ("2019 ", "year_folder_name"), ("backup", "unrecognised_file"), ("budget_lines.csv", "unrecognised_file"),
        ("２０１８", "year_folder_name")]
    assert not any(s.quarantines for s in layout.strays)


def test_links_out_of_the_raw_folder_are_refused_unread(tmp_path):
    raw = tmp_path / "raw"
    (raw / "2017" / "A").mkdir(parents=True)
    outside = tmp_path / "secret.csv"
    outside.write_text("部门编码,年度\nSECRET-CONTENT,2017\n", encoding="utf-8")
    os.symlink(outside, raw / "2017" / "A" / "budget_lines.csv")
    os.symlink(tmp_path, raw / "2017" / "B")
    inside = raw / "2017" / "A" / "notes.md"
    inside.write_text("x")
    os.symlink(inside, raw / "2017" / "A" / "link.md")  # a link inside the raw folder is followed
    files = RawFileReader(CONTRACT, raw, tmp_path / "scratch").collect(2017)
    assert files.files == []
    refused = [(r.source_file, r.check_name) for r in files.rejections]
    assert refused == [("2017/A/budget_lines.csv", "link_outside_raw"), ("2017/B", "link_outside_raw")]
    assert not any("SECRET" in r.reason or "SECRET" in (r.value or "") for r in files.rejections)


def test_a_file_duckdb_cannot_read_is_quarantined_alone(tmp_path):
    """Should a file pass the Python screen and still fail DuckDB's reader, only that file is lost."""
    raw = tmp_path / "raw" / "2017" / "A"
    raw.mkdir(parents=True)
    good = raw / "budget_lines.csv"
    good.write_text("部门编码,年度,序号,项目名称,最终预算,决算金额,行类型,金额单位\nA,2017,1,p,10,9,item,万元\n",
                    encoding="utf-8")
    files = RawFileReader(CONTRACT, tmp_path / "raw", tmp_path / "scratch").collect(2017)
    header = files.files[0].header
    missing = ReadableFile("budget_lines", "2017/B/budget_lines.csv", tmp_path / "gone.csv", "utf-8", "0", header)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    result = load_year(con, CONTRACT, YearFiles(2017, [*files.files, missing], []))
    assert result.kind("budget_lines").row_count == 1
    assert result.quarantined == {"2017/B/budget_lines.csv"}
    assert [(v.source_file, v.check_name) for v in result.findings] == [("2017/B/budget_lines.csv", "csv_format")]


def test_the_tests_load_a_copy_of_what_data_raw_ships_with():
    from conftest import BUNDLED_RAW, CHECKOUT_RAW, _bundled_files

    assert not BUNDLED_RAW.resolve().is_relative_to(CHECKOUT_RAW.resolve())
    assert sorted(str(p.relative_to(BUNDLED_RAW)) for p in BUNDLED_RAW.rglob("*") if p.is_file()) == _bundled_files()
    assert "2017/WH-DHZB/budget_lines.csv" in _bundled_files()


LINES_HEADER = "部门编码,年度,序号,项目名称,最终预算,决算金额,行类型,金额单位"
PLAIN_CASES = {
    # name: (file text, whether the plain-file path takes it)
    "clean": (f"{LINES_HEADER}\nA,2017,1,p,10,9,item,万元\nA,2017,2,q,5,5,item,万元\n", True),
    "clean, CRLF, no final line end": (
        f"{LINES_HEADER}\r\nA,2017,1,p,10,9,item,万元\r\nA,2017,2,q,5,5,item,万元", True),
    "quoted amounts": (f'{LINES_HEADER}\nA,2017,1,"p, q","1,000.00",9,item,万元\nA,2017,2,"",5,5,item,万元\n', True),
    "fewer values than columns": (f"{LINES_HEADER}\nA,2017,1,p,10\n", True),
    "a quote inside a quoted value": (f'{LINES_HEADER}\nA,2017,1,"say ""hi""",10,9,item,万元\n', False),
    "a line end inside a quoted value": (f'{LINES_HEADER}\nA,2017,1,"two\nlines",10,9,item,万元\n', False),
    "an unterminated quote": (f'{LINES_HEADER}\nA,2017,1,"open,10,9,item,万元\nA,2017,2,q,5,5,item,万元\n', False),
    "text after a closing quote": (f'{LINES_HEADER}\nA,2017,1,"p"x,10,9,item,万元\n', False),
    "a blank line": (f"{LINES_HEADER}\nA,2017,1,p,10,9,item,万元\n\nA,2017,2,q,5,5,item,万元\n", False),
    "a line of commas and spaces": (f"{LINES_HEADER}\nA,2017,1,p,10,9,item,万元\n , ,\u3000,\n", False),
    "a blank last line": (f"{LINES_HEADER}\nA,2017,1,p,10,9,item,万元\n\n", False),
    "a value beyond the last column": (f"{LINES_HEADER}\nA,2017,1,p,10,9,item,万元,extra\n", False),
    "an empty value beyond the last column": (f"{LINES_HEADER}\nA,2017,1,p,10,9,item,万元,\n", False),
    "the header repeated": (f"{LINES_HEADER}\nA,2017,1,p,10,9,item,万元\n{LINES_HEADER}\n", False),
    "an invisible character": (f"{LINES_HEADER}\nA\u200b,2017,1,p,10,9,item,万元\n", False),
    "a NUL byte": (f"{LINES_HEADER}\nA,2017,1,p\x00,10,9,item,万元\n", False),
    "mixed line ends": (f"{LINES_HEADER}\r\nA,2017,1,p,10,9,item,万元\nA,2017,2,q,5,5,item,万元\r\n", False),
    "a lone carriage return": (f"{LINES_HEADER}\nA,2017,1,p\r,10,9,item,万元\n", False),
    "a column without a header": (f"{LINES_HEADER},\nA,2017,1,p,10,9,item,万元,x\n", False),
    "an unknown header": (f"{LINES_HEADER.replace('决算金额', '实际')}\nA,2017,1,p,10,9,item,万元\n", False),
    "a quoted header": ('"部门编码"' + LINES_HEADER.removeprefix("部门编码") + "\nA,2017,1,p,10,9,item,万元\n", False),
    "header only": (f"{LINES_HEADER}\n", False),
}


@pytest.mark.parametrize("case", PLAIN_CASES)
def test_a_file_read_without_the_csv_module_is_read_as_the_csv_module_reads_it(case, tmp_path, monkeypatch):
    """The plain-file path (raw_files.plain_csv) only takes a file the row-by-row reading would have let
    DuckDB read where it lies, with nothing to report; every other file goes the row-by-row way."""
    import orchestration.raw_files as raw_files

    text, plain = PLAIN_CASES[case]
    assert (raw_files.plain_csv(LINES, text, "utf-8", "x") is not None) == plain
    folder = tmp_path / "raw" / "2017" / "A"
    folder.mkdir(parents=True)
    (folder / "budget_lines.csv").write_bytes(text.encode("utf-8"))
    fast = RawFileReader(CONTRACT, tmp_path / "raw", tmp_path / "scratch").collect(2017)
    monkeypatch.setattr(raw_files, "plain_csv", lambda *args: None)
    slow = RawFileReader(CONTRACT, tmp_path / "raw", tmp_path / "scratch").collect(2017)
    assert (fast.files, fast.rejections) == (slow.files, slow.rejections)
    if plain:
        assert fast.files[0].csv_path == folder / "budget_lines.csv"
