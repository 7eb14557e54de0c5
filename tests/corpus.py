"""The bad-input corpus: files a department or a clerk could send, each written into a raw folder
beside the seed, with the outcome the warehouse must give it (quarantined with which check, loaded
with which remark, refused, or loaded as meant).

Written at test time (`write_corpus`), never committed: some cases are links, full-width folder
names or bytes a repository would not keep faithfully. tests/integration/test_bad_inputs.py loads the seed and
the whole corpus in one refresh and asserts every case; docs/reliability.md shows each case with
the message an analyst sees (regenerate it with `UPDATE_DOCS=1 pytest tests/integration/test_bad_inputs.py`).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from conftest import SEED_DIR

SEED = SEED_DIR  # in the copy of data/raw (tests/conftest.py)


@dataclass
class Case:
    code: str  # the case's department code and folder
    note: str  # what is wrong, as a user would put it
    source: str  # the source file the findings name (relative to the raw folder)
    outcome: str  # quarantined | noted | loaded | refused
    check: str | None = None  # the contract check (file check or expectation) that speaks
    row: int | None = None
    column: str | None = None
    rows: int | None = None  # the data rows a loaded file gives
    # Queries over the published warehouse and the rows each must return.
    sql: list[tuple[str, list[tuple]]] = field(default_factory=list)
    figure_check: str | None = None  # a data-quality check (not the contract) that speaks


def seed_rows(kind: str) -> list[list[str]]:
    with (SEED / f"{kind}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def write_csv(path: Path, table: list[list[str]], encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    path.write_bytes(buffer.getvalue().encode(encoding))


def as_department(rows: list[list[str]], code: str, year: int = 2017) -> list[list[str]]:
    return [rows[0]] + [[code, str(year), *r[2:]] for r in rows[1:]]


def csv_text(rows: list[list[str]], line_end: str = "\n") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    return buffer.getvalue()


def set_cell(rows: list[list[str]], row: int, header: str, value: str) -> list[list[str]]:
    """Change one cell; `row` is the spreadsheet row (header = 1)."""
    out = [list(r) for r in rows]
    out[row - 1][out[0].index(header)] = value
    return out


def drop_column(rows: list[list[str]], header: str) -> list[list[str]]:
    i = rows[0].index(header)
    return [r[:i] + r[i + 1:] for r in rows]


def rename(rows: list[list[str]], header: str, new: str) -> list[list[str]]:
    out = [list(r) for r in rows]
    out[0][out[0].index(header)] = new
    return out


def add_column(rows: list[list[str]], header: str, values: list[str] | None = None) -> list[list[str]]:
    return [rows[0] + [header]] + [r + [(values or [""])[min(i, len(values or [""]) - 1)]]
                                   for i, r in enumerate(rows[1:])]


def workbook(sheets: dict[str, list[list[object]]]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
    return book


def with_saved_values(path: Path, values: dict[str, str]) -> None:
    """Store a computed value for formula cells (openpyxl writes formulas without one, as Excel would
    not): {cell reference: value}."""
    with zipfile.ZipFile(path) as zin:
        items = {name: zin.read(name) for name in zin.namelist()}
    sheet = next(n for n in items if n.startswith("xl/worksheets/sheet"))
    xml = items[sheet].decode()
    for ref, value in values.items():
        xml = re.sub(rf'(<c r="{ref}"[^>]*>)<f>([^<]*)</f>(<v\s*/?>(</v>)?)?', rf"\1<f>\2</f><v>{value}</v>", xml)
    items[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items.items():
            zout.writestr(name, data)


LINES = 13  # project lines of the seed's budget_lines.csv ...
ROWS = 14  # ... and its data rows (with the total row)
EXECUTION = "select {col} from marts.project_execution where department_code = '{code}' and line_no = {line}"


def write_corpus(raw: Path) -> list[Case]:
    """Write every case under `raw` (beside the seed, which the caller copies) and return them."""
    cases: list[Case] = []
    y2017 = raw / "2017"

    def put(code: str, name: str, data: bytes | str, note: str, outcome: str, check: str | None = None,
            folder: Path | None = None, source: str | None = None, **expect) -> Case:
        """Write one file (under `folder`, else 2017/<code>/); the case names `source`, else that file."""
        target = (folder or y2017 / code) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        case = Case(code, note, source or str(target.relative_to(raw)), outcome, check, **expect)
        cases.append(case)
        return case

    def book(code: str, name: str, book_: openpyxl.Workbook, note: str, outcome: str, check: str | None = None,
             sheet: str | None = None, **expect) -> Path:
        target = y2017 / code / name
        target.parent.mkdir(parents=True, exist_ok=True)
        book_.save(target)
        source = str(target.relative_to(raw)) + (f"#{sheet}" if sheet else "")
        cases.append(Case(code, note, source, outcome, check, **expect))
        return target

    lines = lambda code: as_department(seed_rows("budget_lines"), code)  # noqa: E731
    three = lambda code: as_department(seed_rows("three_public"), code)  # noqa: E731
    q = "quarantined"
    regex, between, in_set = ("expect_column_values_to_match_regex", "expect_column_values_to_be_between",
                              "expect_column_values_to_be_in_set")

    # Encodings and formats.
    put("BRK-01", "budget_lines.csv", "日常办公经费,最终预算\n".encode() + b"\xff\xfe\xff\n",
        "bytes that are neither UTF-8 nor GB18030", q, "file_encoding")
    put("BRK-09", "budget_lines.csv", b"", "an empty file", q, "file_has_rows")
    put("BRK-10", "budget_lines.csv", csv_text(lines("BRK-10")[:1]), "a header-only file", q, "file_has_rows")
    put("BRK-26", "budget_lines.csv", "\n".join(";".join(r) for r in lines("BRK-26")),
        "semicolons instead of commas", q, "required_columns")
    put("BRK-31", "budget_lines.csv", csv_text(lines("BRK-31"), "\r\n")[:-2] + "\n",
        "CRLF line ends with a last line in LF (mixed line endings)", "loaded", rows=ROWS)
    put("BRK-32", "budget_lines.csv", csv_text(lines("BRK-32")).replace("日常办公经费", '"日常办公经费', 1),
        "an unterminated quote", q, "csv_format", row=2)
    put("BRK-33", "budget_lines.csv", csv_text(lines("BRK-33")).replace("日常办公经费", '"日常"办公经费', 1),
        "text after a closing quote", q, "csv_format", row=2)
    put("BRK-34", "budget_lines.csv", csv_text(lines("BRK-34"), "\r"), "old Mac line ends (CR only)", "loaded",
        rows=ROWS)
    put("BRK-35", "budget_lines.csv", csv_text(lines("BRK-35")).encode("gb18030"), "GB18030 (GBK) encoding",
        "loaded", rows=ROWS, sql=[(EXECUTION.format(col="project_name", code="BRK-35", line=1), [("日常办公经费",)])])
    put("BRK-36", "budget_lines.csv", b"\xef\xbb\xbf" + csv_text(lines("BRK-36")).encode(), "UTF-8 with a BOM",
        "loaded", rows=ROWS)
    zipped = io.BytesIO()
    workbook({"budget_lines": lines("BRK-37")}).save(zipped)
    put("BRK-37", "budget_lines.csv", zipped.getvalue(), "an XLSX workbook saved under a .csv name", q,
        "file_format")
    put("BRK-38", "budget_lines.csv", "\ufeffa,b\r\n".encode("utf-16"), "UTF-16 text", q, "file_encoding")

    # Row numbers as a spreadsheet shows them.
    blank = lines("BRK-39")
    put("BRK-39", "budget_lines.csv", csv_text(set_cell(blank, 6, "最终预算", "abc")).replace("\n", "\n\n", 2),
        "blank lines before a bad cell: the finding names the row a spreadsheet shows", q, regex, row=8,
        column="final_budget")
    broken = set_cell(set_cell(lines("BRK-40"), 3, "项目名称", "办公场所\n运转经费"), 6, "最终预算", "abc")
    put("BRK-40", "budget_lines.csv", csv_text(broken), "a quoted line break in a name, then a bad cell", q, regex,
        row=6, column="final_budget")
    put("BRK-41", "budget_lines.csv", csv_text(lines("BRK-41")).replace("\n", "\n\n", 3),
        "blank lines between rows: every row keeps its spreadsheet number", "loaded", rows=ROWS,
        sql=[(EXECUTION.format(col="source_row", code="BRK-41", line=3), [(7,)])])

    # Headers.
    put("BRK-02", "budget_lines.csv", csv_text(drop_column(lines("BRK-02"), "最终预算")), "a required column missing",
        q, "required_columns", column="final_budget")
    put("BRK-03", "budget_lines.csv", csv_text(rename(lines("BRK-03"), "决算金额", "实际支出金额")),
        "a required column renamed", q, "required_columns", column="actual_spend")
    bands = drop_column(as_department(seed_rows("grade_bands"), "BRK-23"), "分值区间")
    put("BRK-23", "grade_bands.csv", csv_text(bands), "grade bands without their intervals", q, "required_columns",
        column="interval_text")
    put("BRK-42", "three_public.csv", csv_text(rename(three("BRK-42"), "支出金额", "实际支出数")),
        "an optional column renamed (支出金额 → 实际支出数): not loaded empty", q, "unknown_header", column="actual")
    put("BRK-43", "budget_lines.csv", csv_text(add_column(lines("BRK-43"), "final_budget", ["1"])),
        "two headers for one column (最终预算 and final_budget)", q, "duplicate_header", column="final_budget")
    twice = lines("BRK-44")
    put("BRK-44", "budget_lines.csv", csv_text(add_column(twice, "最终预算", [r[8] for r in twice[1:]])),
        "the same header twice", q, "duplicate_header", column="final_budget")
    put("BRK-45", "budget_lines.csv", csv_text(add_column(lines("BRK-45"), "联系人", ["张三"])),
        "a column the contract does not know: loaded without it, and said so", "noted", "unknown_header",
        rows=ROWS)
    put("BRK-46", "budget_lines.csv", csv_text(add_column(lines("BRK-46"), "附" * 300, ["x"])),
        "a very long unknown header: the finding quotes 60 characters of it", "noted", "unknown_header",
        rows=ROWS)
    spaced = rename(lines("BRK-75"), "决算金额", " 决算金额 ")
    put("BRK-75", "budget_lines.csv", csv_text(spaced), "spaces around a header", "loaded", rows=ROWS,
        sql=[(EXECUTION.format(col="actual_spend", code="BRK-75", line=1), [(130.84,)])])
    extra = [list(r) for r in lines("BRK-47")]
    extra[4] = extra[4] + ["12.5", "多出"]
    put("BRK-47", "budget_lines.csv", csv_text(extra), "extra values beyond the last column on one row", q,
        "extra_fields", row=5)
    trailing = [lines("BRK-48")[0]] + [r + [""] for r in lines("BRK-48")[1:]]
    put("BRK-48", "budget_lines.csv", csv_text(trailing), "a trailing comma on every row (empty extra field)",
        "loaded", rows=ROWS)
    unnamed = [list(r) for r in lines("BRK-49")]
    unnamed = [unnamed[0] + [""]] + [r + ["注"] for r in unnamed[1:]]
    put("BRK-49", "budget_lines.csv", csv_text(unnamed), "values under a column without a header", "noted",
        "unnamed_column", row=2, rows=ROWS)
    short = [r[:-2] if i == 3 else r for i, r in enumerate(lines("BRK-50"), start=1)]
    put("BRK-50", "budget_lines.csv", csv_text(short), "a short row (its last two cells missing)", q,
        "expect_column_values_to_not_be_null", row=3, column="line_type")

    # Numbers.
    for code, value, note in (("BRK-51", "135,5", "a decimal comma (135,5)"),
                              ("BRK-52", "1 863,5", "a space as thousands separator and a decimal comma"),
                              ("BRK-53", "1,3,5", "commas that group nothing (1,3,5)"),
                              ("BRK-54", "13,50", "a comma before two digits (13,50)")):
        put(code, "budget_lines.csv", csv_text(set_cell(lines(code), 2, "最终预算", value)), note, q, regex, row=2,
            column="final_budget")
    grouped = set_cell(set_cell(lines("BRK-55"), 2, "最终预算", "1,350,000.00"), 2, "金额单位", "元")
    put("BRK-55", "budget_lines.csv", csv_text(grouped), "thousands grouping (1,350,000.00 元)", "loaded", rows=ROWS,
        sql=[(EXECUTION.format(col="final_budget", code="BRK-55", line=1), [(135,)])])
    full_width = set_cell(lines("BRK-56"), 2, "决算金额", "１３０．８４")
    put("BRK-56", "budget_lines.csv", csv_text(full_width), "full-width digits (１３０．８４)", "loaded", rows=ROWS,
        sql=[(EXECUTION.format(col="actual_spend", code="BRK-56", line=1), [(130.84,)])])
    put("BRK-04", "budget_lines.csv", csv_text(set_cell(lines("BRK-04"), 2, "最终预算", "一百三十五")),
        "text in an amount column", q, regex, row=2, column="final_budget")
    put("BRK-05", "budget_lines.csv", csv_text(set_cell(lines("BRK-05"), 3, "最终预算", "-393.00")),
        "a negative budget", q, between, row=3, column="final_budget")
    put("BRK-06", "budget_lines.csv", csv_text(set_cell(lines("BRK-06"), 4, "决算金额", "99999999999")),
        "an absurd amount (beyond 1万亿元)", q, between, row=4, column="actual_spend")
    put("BRK-12", "budget_lines.csv", csv_text(set_cell(lines("BRK-12"), 6, "完成率", "九成")),
        "a rate written in words", q, regex, row=6, column="stated_execution_rate")
    put("BRK-15", "budget_lines.csv", csv_text(set_cell(lines("BRK-15"), 8, "序号", "7.5")),
        "a fraction in an integer column", q, regex, row=8, column="line_no")
    put("BRK-18", "staffing.csv", csv_text(set_cell(as_department(seed_rows("staffing"), "BRK-18"), 3, "人数", "-6")),
        "a negative headcount", q, regex, row=3, column="headcount")
    put("BRK-20", "self_evaluation.csv",
        csv_text(set_cell(as_department(seed_rows("self_evaluation"), "BRK-20"), 2, "分值", "二十")),
        "a weight in words", q, regex, row=2, column="weight")
    put("BRK-24", "reviewer_scores.csv",
        csv_text([["部门编码", "年度", "评分规则", "评分项目", "评审得分", "评审人", "评审意见"],
                  ["BRK-24", "2017", "wuhan_2017_department", "绩效目标合理性", "A", "评审组", ""]]),
        "a score that is a letter", q, regex, row=2, column="score")
    put("BRK-29", "budget_lines.csv",
        csv_text(set_cell(set_cell(lines("BRK-29"), 2, "最终预算", "abc"), 9, "决算金额", "xyz")),
        "two bad cells: both named", q, regex, row=9, column="actual_spend")
    dash = set_cell(set_cell(lines("BRK-57"), 2, "决算金额", "—"), 2, "完成率", "0%")
    put("BRK-57", "budget_lines.csv", csv_text(dash), "a dash for a zero amount", "loaded", rows=ROWS,
        sql=[(EXECUTION.format(col="actual_spend", code="BRK-57", line=1), [(0,)])])

    # Codes, values and keys.
    put("BRK-07", "budget_lines.csv", csv_text(set_cell(lines("BRK-07"), 3, "序号", "1")),
        "a duplicate key (two lines numbered 1)", q, "expect_compound_columns_to_be_unique", row=3,
        column="department_code,fiscal_year,line_no")
    put("BRK-08", "budget_lines.csv", csv_text(set_cell(lines("BRK-08"), 2, "金额单位", "斤")), "an unknown unit", q,
        in_set, row=2, column="unit")
    put("BRK-11", "budget_lines.csv", csv_text(set_cell(lines("BRK-11"), 5, "行类型", "小计")), "an unknown code", q,
        in_set, row=5, column="line_type")
    put("BRK-13", "budget_lines.csv", csv_text(set_cell(lines("BRK-13"), 7, "年度", "2016")),
        "a row of another fiscal year in the 2017 folder", q, in_set, row=7, column="fiscal_year")
    put("BRK-14", "budget_lines.csv", csv_text(set_cell(lines("BRK-14"), 3, "项目名称", "")), "a required value empty",
        q, "expect_column_values_to_not_be_null", row=3, column="project_name")
    put("BRK-16", "department_profile.csv",
        csv_text(set_cell(as_department(seed_rows("department_profile"), "BRK-16"), 2, "设立日期", "2012年3月")),
        "a bad date", q, regex, row=2, column="established_date")
    put("BRK-17", "department_profile.csv",
        csv_text(set_cell(as_department(seed_rows("department_profile"), "BRK-17"), 2, "是否演示数据", "也许")),
        "a bad boolean", q, in_set, row=2, column="is_synthetic")
    put("BRK-19", "three_public.csv", csv_text(set_cell(three("BRK-19"), 3, "经费类别", "会议费")),
        "a category that is not one of the three", q, in_set, row=3, column="category")
    put("BRK-21", "indicators.csv",
        csv_text(set_cell(as_department(seed_rows("indicators"), "BRK-21"), 4, "来源表", "plan")),
        "an unknown table", q, in_set, row=4, column="source_table")
    put("BRK-22", "budget.csv", csv_text(lines("BRK-22")), "a file named after no kind", q, "known_file_kind")
    put("BRK-25", "budget_summary.csv",
        csv_text(set_cell(as_department(seed_rows("budget_summary"), "BRK-25"), 2, "口径", "total")),
        "an unknown scope", q, in_set, row=2, column="scope")
    put("BRK-30", "budget_lines.csv", csv_text(set_cell(lines("BRK-30"), 4, "金额单位", "美元")),
        "one line in dollars in a table of 万元: loads, left out of yuan totals, and said so", "loaded", rows=ROWS,
        figure_check="foreign_currency_amount", row=4, column="unit")
    joined = lines("BRK-58")
    joined = joined + [joined[0]] + [[*r[:2], str(int(r[2]) + 20), *r[3:]] for r in joined[1:3]]
    put("BRK-58", "budget_lines.csv", csv_text(joined), "two files joined: the header again in the middle", "noted",
        "header_repeated", row=16, rows=ROWS + 2)
    for code, sub in (("BRK-59", "a"), ("BRK-59", "b")):
        put(code, "budget_lines.csv", csv_text(lines(code)), "the same rows sent in two files", q,
            "expect_compound_columns_to_be_unique", folder=y2017 / code / sub, row=2)

    # Invisible characters.
    bom = [list(r) for r in lines("BRK-60")]
    bom[5][0] = "\ufeffBRK-60"
    put("BRK-60", "budget_lines.csv", csv_text(bom), "a byte-order mark before a code in the middle of a file",
        "noted", "invisible_characters", row=6, column="department_code", rows=ROWS,
        sql=[("select count(*) from marts.project_execution where department_code like '%BRK-60%'", [(LINES,)])])
    put("BRK-61", "budget_lines.csv", csv_text(set_cell(lines("BRK-61"), 2, "项目名称", "日常\u200b办公经费")),
        "a zero-width space in a name", "noted", "invisible_characters", row=2, column="project_name", rows=ROWS,
        sql=[(EXECUTION.format(col="project_name", code="BRK-61", line=1), [("日常办公经费",)])])
    put("BRK-62", "budget_lines.csv", csv_text(set_cell(lines("BRK-62"), 3, "项目名称", "办公\x00场所运转经费")),
        "a NUL byte in a name", "noted", "invisible_characters", row=3, column="project_name", rows=ROWS,
        sql=[(EXECUTION.format(col="project_name", code="BRK-62", line=2), [("办公场所运转经费",)])])

    # Workbooks.
    merged = workbook({"budget_lines": lines("BRK-27")})
    merged["budget_lines"].merge_cells(start_row=1, start_column=9, end_row=1, end_column=10)
    book("BRK-27", "submission.xlsx", merged, "XLSX with merged header cells", q, "required_columns",
         sheet="budget_lines", column="actual_spend")
    partial = workbook({"department_profile": as_department(seed_rows("department_profile"), "BRK-28"),
                        "budget_lines": lines("BRK-28")})
    book("BRK-28", "submission.xlsx", partial,
         "XLSX missing the sheets three_public, indicators, self_evaluation: noted, its sheets load", "noted",
         "workbook_sheets")
    formula = lines("BRK-63")
    formula[1][8] = "=100+35"
    book("BRK-63", "submission.xlsx", workbook({"budget_lines": formula}),
         "a formula cell with no saved value (a workbook written by a program)", q, "formula_without_value",
         sheet="budget_lines", row=2, column="final_budget")
    saved = lines("BRK-64")
    saved[1][8] = "=100+35"
    path = book("BRK-64", "submission.xlsx", workbook({"budget_lines": saved}),
                "a formula cell with its saved value", "loaded", sheet="budget_lines", rows=ROWS,
                sql=[(EXECUTION.format(col="final_budget", code="BRK-64", line=1), [(135,)])])
    with_saved_values(path, {"I2": "135"})
    sheets = workbook({"budget_lines": lines("BRK-65"), "说明": [["这是填报说明"]]})
    book("BRK-65", "submission.xlsx", sheets, "a workbook with a sheet of notes", "noted", "known_file_kind",
         sheet="说明")
    invisible = lines("BRK-66")
    invisible[2][0] = "BRK-66\u200d"
    book("BRK-66", "submission.xlsx", workbook({"budget_lines": invisible}), "a zero-width joiner after a code in a "
         "sheet", "noted", "invisible_characters", sheet="budget_lines", row=3, column="department_code", rows=ROWS)
    book("BRK-67", "submission.xlsx", workbook({"budget_lines": [lines("BRK-67")[0]], "three_public": three("BRK-67")}),
         "a sheet with its header only", q, "file_has_rows", sheet="budget_lines")

    # Files and folders that are no data.
    put("BRK-68", "说明.docx", b"PK\x03\x04 not really a document", "a Word file in a department folder", "noted",
        "unrecognised_file")
    put("BRK-68", "~$submission.xlsx", b"lock", "an Office lock file", "noted", "unrecognised_file")
    link = y2017 / "BRK-69" / "budget_lines.csv"
    link.parent.mkdir(parents=True)
    os.symlink("/etc/passwd", link)
    cases.append(Case("BRK-69", "a link to a system file", "2017/BRK-69/budget_lines.csv", "refused",
                      "link_outside_raw"))
    os.symlink("/etc", y2017 / "BRK-70")
    cases.append(Case("BRK-70", "a link to a folder outside data/raw", "2017/BRK-70", "refused", "link_outside_raw"))
    put("BRK-71", "budget_lines.csv", csv_text(lines("BRK-71")), "a data file in a folder that is no year",
        "noted", "unrecognised_file", folder=raw / "backup" / "BRK-71", source="backup")
    put("BRK-72", "budget_lines.csv", csv_text(lines("BRK-72")), "a year folder with a suffix (2017-old)", "noted",
        "unrecognised_file", folder=raw / "2017-old" / "BRK-72", source="2017-old")

    # Year folders written otherwise.
    for code, folder, year, note in (("BRK-73", "２０１８", 2018, "a year folder in full-width digits"),
                                     ("BRK-74", "2019 ", 2019, "a year folder with a trailing space")):
        rows = as_department(seed_rows("budget_lines"), code, year)
        put(code, "budget_lines.csv", csv_text(rows), note, "loaded", folder=raw / folder / code, rows=ROWS,
            sql=[(f"select count(*) from marts.project_execution where department_code = '{code}' "
                  f"and fiscal_year = {year}", [(LINES,)])])
        cases.append(Case(code, f"{note}: read as {year}, and said so", folder, "noted", "year_folder_name"))
    return cases


def copy_seed(raw: Path) -> None:
    shutil.copytree(SEED, raw / "2017" / "WH-DHZB", ignore=shutil.ignore_patterns("*.md"))
