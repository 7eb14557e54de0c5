"""Writes the corpus of broken input files (tests/broken_inputs/2017/...) from the seed's files, and
expected.yml, what each must give. Run it again after changing it: python tests/broken_inputs/make_corpus.py

Each broken file sits in its own department folder (BRK-NN) so that its faults are its own.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import openpyxl
import yaml

HERE = Path(__file__).resolve().parent
SEED = HERE.parents[1] / "data" / "raw" / "2017" / "WH-DHZB"
OUT = HERE / "2017"


def seed_rows(kind: str) -> list[list[str]]:
    with (SEED / f"{kind}.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def as_department(rows: list[list[str]], code: str) -> list[list[str]]:
    return [rows[0]] + [[code, *r[1:]] for r in rows[1:]]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode(encoding)


def set_cell(rows: list[list[str]], row: int, header: str, value: str) -> list[list[str]]:
    """Change one cell; `row` is the spreadsheet row (header = 1)."""
    out = [list(r) for r in rows]
    out[row - 1][out[0].index(header)] = value
    return out


def drop_column(rows: list[list[str]], header: str) -> list[list[str]]:
    i = rows[0].index(header)
    return [r[:i] + r[i + 1:] for r in rows]


CASES: list[dict] = []


def case(code: str, name: str, data: bytes | None, expect: dict, note: str, book=None) -> None:
    folder = OUT / code
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if book is not None:
        book.save(path)
    else:
        path.write_bytes(data)
    CASES.append({"file": f"2017/{code}/{name}", "note": note, **expect})


def workbook(sheets: dict[str, list[list[str]]]):
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
    return book


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    lines = lambda code: as_department(seed_rows("budget_lines"), code)  # noqa: E731
    q = {"quarantined": True}

    case("BRK-01", "budget_lines.csv", "日常办公经费,最终预算\n".encode() + b"\xff\xfe\xff\n",
         {**q, "check": "file_encoding"}, "bytes that are neither UTF-8 nor GB18030")
    case("BRK-02", "budget_lines.csv", csv_bytes(drop_column(lines("BRK-02"), "最终预算")),
         {**q, "check": "required_columns", "column": "final_budget"}, "a required column missing")
    renamed = lines("BRK-03")
    renamed[0][renamed[0].index("决算金额")] = "实际支出金额"
    case("BRK-03", "budget_lines.csv", csv_bytes(renamed),
         {**q, "check": "required_columns", "column": "actual_spend"}, "a required column renamed")
    case("BRK-04", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-04"), 2, "最终预算", "一百三十五")),
         {**q, "check": "expect_column_values_to_match_regex", "row": 2, "column": "final_budget"},
         "text in an amount column")
    case("BRK-05", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-05"), 3, "最终预算", "-393.00")),
         {**q, "check": "expect_column_values_to_be_between", "row": 3, "column": "final_budget"},
         "a negative budget")
    case("BRK-06", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-06"), 4, "决算金额", "99999999999")),
         {**q, "check": "expect_column_values_to_be_between", "row": 4, "column": "actual_spend"},
         "an absurd amount (beyond 1万亿元)")
    case("BRK-07", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-07"), 3, "序号", "1")),
         {**q, "check": "expect_compound_columns_to_be_unique", "row": 3,
          "column": "department_code,fiscal_year,line_no"},
         "a duplicate key (two lines numbered 1)")
    case("BRK-08", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-08"), 2, "金额单位", "斤")),
         {**q, "check": "expect_column_values_to_be_in_set", "row": 2, "column": "unit"}, "an unknown unit")
    case("BRK-09", "budget_lines.csv", b"", {**q, "check": "file_has_rows"}, "an empty file")
    case("BRK-10", "budget_lines.csv", csv_bytes(lines("BRK-10")[:1]), {**q, "check": "file_has_rows"},
         "a header-only file")
    case("BRK-11", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-11"), 5, "行类型", "小计")),
         {**q, "check": "expect_column_values_to_be_in_set", "row": 5, "column": "line_type"}, "an unknown code")
    case("BRK-12", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-12"), 6, "完成率", "九成")),
         {**q, "check": "expect_column_values_to_match_regex", "row": 6, "column": "stated_execution_rate"},
         "a rate written in words")
    case("BRK-13", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-13"), 7, "年度", "2016")),
         {**q, "check": "expect_column_values_to_be_in_set", "row": 7, "column": "fiscal_year"},
         "a row of another fiscal year in the 2017 folder")
    case("BRK-14", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-14"), 3, "项目名称", "")),
         {**q, "check": "expect_column_values_to_not_be_null", "row": 3, "column": "project_name"},
         "a required value empty")
    case("BRK-15", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-15"), 8, "序号", "7.5")),
         {**q, "check": "expect_column_values_to_match_regex", "row": 8, "column": "line_no"},
         "a fraction in an integer column")
    case("BRK-16", "department_profile.csv",
         csv_bytes(set_cell(as_department(seed_rows("department_profile"), "BRK-16"), 2, "设立日期", "2012年3月")),
         {**q, "check": "expect_column_values_to_match_regex", "row": 2, "column": "established_date"}, "a bad date")
    case("BRK-17", "department_profile.csv",
         csv_bytes(set_cell(as_department(seed_rows("department_profile"), "BRK-17"), 2, "是否演示数据", "也许")),
         {**q, "check": "expect_column_values_to_be_in_set", "row": 2, "column": "is_synthetic"}, "a bad boolean")
    case("BRK-18", "staffing.csv", csv_bytes(set_cell(as_department(seed_rows("staffing"), "BRK-18"), 3, "人数", "-6")),
         {**q, "check": "expect_column_values_to_match_regex", "row": 3, "column": "headcount"}, "a negative headcount")
    case("BRK-19", "three_public.csv",
         csv_bytes(set_cell(as_department(seed_rows("three_public"), "BRK-19"), 3, "经费类别", "会议费")),
         {**q, "check": "expect_column_values_to_be_in_set", "row": 3, "column": "category"},
         "a category that is not one of the three")
    case("BRK-20", "self_evaluation.csv",
         csv_bytes(set_cell(as_department(seed_rows("self_evaluation"), "BRK-20"), 2, "分值", "二十")),
         {**q, "check": "expect_column_values_to_match_regex", "row": 2, "column": "weight"}, "a weight in words")
    case("BRK-21", "indicators.csv",
         csv_bytes(set_cell(as_department(seed_rows("indicators"), "BRK-21"), 4, "来源表", "plan")),
         {**q, "check": "expect_column_values_to_be_in_set", "row": 4, "column": "source_table"}, "an unknown table")
    case("BRK-22", "budget.csv", csv_bytes(lines("BRK-22")), {**q, "check": "known_file_kind"},
         "a file named after no kind")
    bands = drop_column(as_department(seed_rows("grade_bands"), "BRK-23"), "分值区间")
    case("BRK-23", "grade_bands.csv", csv_bytes(bands),
         {**q, "check": "required_columns", "column": "interval_text"}, "grade bands without their intervals")
    case("BRK-24", "reviewer_scores.csv",
         csv_bytes([["部门编码", "年度", "评分规则", "评分项目", "评审得分", "评审人", "评审意见"],
                    ["BRK-24", "2017", "wuhan_2017_department", "绩效目标合理性", "A", "评审组", ""]]),
         {**q, "check": "expect_column_values_to_match_regex", "row": 2, "column": "score"}, "a score that is a letter")
    case("BRK-25", "budget_summary.csv",
         csv_bytes(set_cell(as_department(seed_rows("budget_summary"), "BRK-25"), 2, "口径", "total")),
         {**q, "check": "expect_column_values_to_be_in_set", "row": 2, "column": "scope"}, "an unknown scope")
    semicolons = "\n".join(";".join(r) for r in lines("BRK-26")).encode("utf-8")
    case("BRK-26", "budget_lines.csv", semicolons, {**q, "check": "required_columns"},
         "semicolons instead of commas")
    merged = workbook({"budget_lines": lines("BRK-27")})
    sheet = merged["budget_lines"]
    sheet.merge_cells(start_row=1, start_column=9, end_row=1, end_column=10)  # 最终预算 and 决算金额 as one cell
    case("BRK-27", "submission.xlsx", None, {**q, "check": "required_columns", "column": "actual_spend",
                                            "file_suffix": "#budget_lines"},
         "XLSX with merged header cells", book=merged)
    partial = workbook({"department_profile": as_department(seed_rows("department_profile"), "BRK-28"),
                        "budget_lines": lines("BRK-28")})
    case("BRK-28", "submission.xlsx", None, {"quarantined": False, "check": "workbook_sheets"},
         "XLSX missing the sheets three_public, indicators, self_evaluation: noted, its sheets load",
         book=partial)
    case("BRK-29", "budget_lines.csv",
         csv_bytes(set_cell(set_cell(lines("BRK-29"), 2, "最终预算", "abc"), 9, "决算金额", "xyz")),
         {**q, "check": "expect_column_values_to_match_regex", "row": 9, "column": "actual_spend"},
         "two bad cells: both named")
    case("BRK-30", "budget_lines.csv", csv_bytes(set_cell(lines("BRK-30"), 4, "金额单位", "美元")),
         {"quarantined": False, "figure_check": "foreign_currency_amount", "row": 4, "column": "unit"},
         "one line in dollars in a table of 万元: loads, left out of yuan totals, and said so")
    (HERE / "expected.yml").write_text(
        "# What each broken file must give (generated by make_corpus.py).\n"
        + yaml.safe_dump(CASES, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8")


if __name__ == "__main__":
    main()
