"""The clerks' templates (`make templates`) and the check before sending (`python -m orchestration.cli validate`):
every template, filled with bundled rows, passes the check; a broken row fails it, named by file, row and column."""

from __future__ import annotations

import csv
import io
import re
import shutil
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from conftest import BUNDLED_RAW, SEED_DIR

from orchestration.cli import main
from orchestration.contract import Column, FileKind, load_contract
from orchestration.raw_files import RawFileReader

CONTRACT = load_contract()
PLAIN_NUMBER = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")


@pytest.fixture(scope="module")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("templates")
    assert main(["templates", "--out", str(out)]) == 0  # what `make templates` runs, into another folder
    return out


def bundled_rows(kind: FileKind) -> list[dict[str, str]]:
    """The seed report's rows of the kind, else the demo export's, else another bundled folder's (the
    project forms), by column name; none for a kind no bundled file has."""
    name = f"{kind.name}.csv"
    candidates = [BUNDLED_RAW / "2017" / SEED_DIR.name / name,
                  *sorted(BUNDLED_RAW.glob(f"*/demo-bureau-export/{name}")), *sorted(BUNDLED_RAW.glob(f"*/*/{name}"))]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return []
    records = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))
    names = [kind.header_aliases()[h.strip()] for h in records[0]]
    return [dict(zip(names, r, strict=True)) for r in records[1:]]


def typed(column: Column, text: str) -> object:
    """What a clerk's typing leaves in the cell: a plain number of a numeric column is a number."""
    if column.type in ("amount", "integer", "number") and PLAIN_NUMBER.fullmatch(text.strip()):
        number = Decimal(text.strip().replace(",", ""))
        return int(number) if number == number.to_integral_value() else float(number)
    return text


def fill(template: Path, kind: FileKind, rows: list[dict[str, str]], target: Path) -> Path:
    """The template with the rows typed in under its headers, from row 2, saved as `target`."""
    book = openpyxl.load_workbook(template)
    sheet = book[kind.label_zh]
    by_header = {c.header_zh: c for c in kind.columns}
    columns = [by_header[cell.value] for cell in sheet[1]]
    for r, values in enumerate(rows, start=2):
        for i, column in enumerate(columns, start=1):
            if (values.get(column.name) or "").strip():
                sheet.cell(row=r, column=i, value=typed(column, values[column.name]))
    target.parent.mkdir(parents=True, exist_ok=True)
    book.save(target)
    return target


def example_row(template: Path, kind: FileKind) -> dict[str, str]:
    """The filled example row of the template's instructions sheet, by column name."""
    rows = list(openpyxl.load_workbook(template)["README 填表说明"].iter_rows(values_only=True))
    header, values = rows[-2], rows[-1]
    by_header = {c.header_zh: c.name for c in kind.columns}
    return {by_header[h]: str(v) for h, v in zip(header, values, strict=False) if h and v is not None}


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str]]:
    status = main(["validate", *args])
    return status, capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("kind", CONTRACT.kinds.values(), ids=lambda k: k.name)
def test_template_has_the_contract_headers_lists_and_instructions(template_dir: Path, kind: FileKind) -> None:
    book = openpyxl.load_workbook(template_dir / f"{kind.name}.xlsx")
    assert book.sheetnames == [kind.label_zh, "README 填表说明"]
    sheet = book[kind.label_zh]
    assert [c.value for c in sheet[1]] == [c.header_zh for c in kind.columns]
    assert sheet.max_row == 1  # no data row to delete before filling in
    assert [c.comment.text.split("\n")[0] for c in sheet[1]] == kind.column_names
    lists = {str(v.sqref).split(":")[0].rstrip("0123456789"): v.formula1.strip('"').split(",")
             for v in sheet.data_validations.dataValidation}
    for letter, column in zip((c.column_letter for c in sheet[1]), kind.columns, strict=True):
        if column.type == "code":
            assert lists.pop(letter) == [v for code in column.values for v in
                                         (code, *(label for label, of in column.labels.items() if of == code))]
        elif column.type == "unit":
            assert lists.pop(letter) == ["元", "千元", "万元", "亿元", "美元", "万美元", "亿美元"]
        elif column.type == "boolean":
            assert lists.pop(letter) == ["是", "否", "true", "false"]
        elif column.type == "amount":
            assert sheet.column_dimensions[letter].number_format == "#,##0.00"
    assert lists == {}, "a drop-down list on a free column"
    instructions = [row for row in book["README 填表说明"].iter_rows(values_only=True)]
    described = {row[1]: row for row in instructions if row[1] in kind.column_names}
    assert list(described) == kind.column_names
    assert all(row[4] for row in described.values())  # every column described
    example = example_row(template_dir / f"{kind.name}.xlsx", kind)
    assert example["department_code"] and example["fiscal_year"]
    source = next(row[0] for row in instructions if str(row[0]).startswith("示例 Example ("))
    assert "data/raw/" in source


def test_the_example_rows_are_copied_from_the_bundled_data(template_dir: Path) -> None:
    kind = CONTRACT.kinds["budget_lines"]
    columns = {c.name: c for c in kind.columns}
    typed_rows = [{k: str(typed(columns[k], v)) for k, v in row.items() if v.strip()} for row in bundled_rows(kind)]
    assert example_row(template_dir / "budget_lines.xlsx", kind) in typed_rows
    # The seed report has no project form: the bundled 丽江 one gives the example.
    forms = example_row(template_dir / "project_forms.xlsx", CONTRACT.kinds["project_forms"])
    assert forms["department_code"] == "LJ-ZRZYJ"


@pytest.mark.parametrize("kind", CONTRACT.kinds.values(), ids=lambda k: k.name)
def test_a_template_filled_with_bundled_rows_passes(template_dir: Path, tmp_path: Path, kind: FileKind,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    rows = bundled_rows(kind) or [example_row(template_dir / f"{kind.name}.xlsx", kind)]
    filled = fill(template_dir / f"{kind.name}.xlsx", kind, rows, tmp_path / f"{kind.name}.xlsx")
    status, out = validate(capsys, str(filled))  # no year in the path: the rows' 年度 gives it
    assert status == 0, "\n".join(out)
    assert f"{filled}: 通过 ok — 0 errors" in out[-2] and f"{len(rows)} rows would load" in out[-2]
    # No remark: a workbook of one kind is one file of that kind (the README sheet is documentation).
    assert out[:-2] == [], out


def test_a_broken_row_fails_naming_file_row_and_column(template_dir: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    kind = CONTRACT.kinds["budget_lines"]
    rows = bundled_rows(kind)
    rows[1]["actual_spend"] = "12,34"  # spreadsheet row 3: a decimal comma
    rows[2]["line_type"] = "subtotal"  # row 4: a code outside the list
    rows[3]["project_name"] = ""  # row 5: a required value missing
    filled = fill(template_dir / "budget_lines.xlsx", kind, rows, tmp_path / "预算表.xlsx")
    status, out = validate(capsys, str(filled))
    assert status == 1
    sheet = f"{filled}#项目支出明细"
    errors = [line for line in out if "[错误 error]" in line]
    assert errors == [
        f"{sheet}:3:actual_spend: [错误 error] 决算金额 '12,34' 不是金额（数字，千分位逗号只能三位一组，如 1,863.5；"
        "单独的短横线表示零） / actual_spend (决算金额) '12,34' is not an amount (digits, separators, or a dash "
        "for zero)",
        f"{sheet}:4:line_type: [错误 error] 行类型 'subtotal' 不是可选值之一（见模板的下拉列表或 docs/raw-data.md） / "
        "line_type (行类型) 'subtotal' is not one of item, total",
        f"{sheet}:5:project_name: [错误 error] 项目名称 为必填项，但为空 / "
        "project_name (项目名称) None is required but empty",
    ]
    assert out[-2] == f"{filled}: 将被隔离（不入库）quarantined — 3 errors, 0 warnings, 0 rows would load"
    assert out[-1] == "1 files checked: 0 ok, 1 would be quarantined"


def test_an_unknown_header_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (SEED_DIR / "staffing.csv").read_text(encoding="utf-8").splitlines()
    lines = [text[0] + ",附注"] + [line + ",见报告" for line in text[1:]]
    noted = tmp_path / "noted" / "staffing.csv"
    noted.parent.mkdir()
    noted.write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, out = validate(capsys, str(noted))
    assert status == 0  # a column the contract does not know is not loaded, and said so
    assert out[0] == (f"{noted}:-:-: [警告 warning] 表头 '附注' 不在数据契约中：该列不会入库"
                      "（最接近的已知表头：备注） / header '附注' is not in the contract: its column is not loaded "
                      "(closest known header: 备注)")
    # A header that looks like a column the file lacks quarantines it: the column would load empty.
    renamed = tmp_path / "renamed" / "staffing.csv"
    renamed.parent.mkdir()
    renamed.write_text((SEED_DIR / "staffing.csv").read_text(encoding="utf-8").replace("人数类型", "人员数类型", 1),
                       encoding="utf-8")
    status, out = validate(capsys, str(renamed))
    assert status == 1
    assert out[0].startswith(f"{renamed}:-:headcount_kind: [错误 error] 表头 '人员数类型' 不在数据契约中，"
                             "看起来是缺少的列「人数类型」：请改名为「人数类型」 / "
                             "header '人员数类型' is not in the contract")


def test_a_folder_in_the_layout_and_the_year_it_gives(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "2017" / "WH-DHZB"
    shutil.copytree(SEED_DIR, folder)  # SOURCES.md beside the data: documentation, left alone
    (folder / "notes.txt").write_text("draft\n", encoding="utf-8")
    status, out = validate(capsys, str(tmp_path / "2017"))
    assert status == 0, "\n".join(out)
    assert out[-1] == "10 files checked: 10 ok, 0 would be quarantined"
    assert f"{folder / 'budget_lines.csv'}: 通过 ok — 0 errors, 0 warnings, 14 rows would load" in out
    assert (f"{folder / 'notes.txt'}:-:-: [警告 warning] 不是 CSV 或 XLSX 数据文件：不会入库 / "
            "no CSV or XLSX data file: nothing in it would be loaded") in out
    assert not any("SOURCES.md" in line for line in out)
    # The year folder of the path wins over the rows: every row of a 2017 file sent as 2018 is reported.
    moved = tmp_path / "2018" / "WH-DHZB" / "grade_bands.csv"
    moved.parent.mkdir(parents=True)
    shutil.copy(SEED_DIR / "grade_bands.csv", moved)
    status, out = validate(capsys, str(moved))
    assert status == 1
    assert out[0] == (f"{moved}:2:fiscal_year: [错误 error] 年度 '2017' 与文件所属年度 2018 不符 / "
                      "fiscal_year (年度) '2017' is not 2018, the year folder the file sits in")


def test_a_csv_file_and_the_year_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gb = tmp_path / "budget_summary.csv"  # what Excel on a Chinese Windows writes
    gb.write_bytes((SEED_DIR / "budget_summary.csv").read_text(encoding="utf-8").encode("gb18030"))
    status, out = validate(capsys, str(gb))
    assert (status, out) == (0, [f"{gb}: 通过 ok — 0 errors, 0 warnings, 3 rows would load",
                                 "1 files checked: 1 ok, 0 would be quarantined"])
    unknown = tmp_path / "budget.csv"  # no kind is named so
    shutil.copy(SEED_DIR / "budget_lines.csv", unknown)
    status, out = validate(capsys, str(unknown))
    assert status == 1 and out[0].startswith(f"{unknown}:-:-: [错误 error] 文件名不是已知的文件类型")
    header_only = tmp_path / "grade_bands.csv"  # neither path nor rows give a year
    header_only.write_text("部门编码,年度,序号,分值区间,等级\n", encoding="utf-8")
    status, out = validate(capsys, str(header_only))
    assert status == 1 and "cannot tell the fiscal year" in out[0] and "--year" in out[0]
    status, out = validate(capsys, "--year", "2021", str(tmp_path))
    assert status == 1
    assert (f"{header_only}:-:-: [错误 error] 没有数据行（空文件、空工作表或只有表头） / "
            "header only: no data rows") in out
    # Its rows say 2017: --year is the last resort.
    assert f"{gb}: 通过 ok — 0 errors, 0 warnings, 3 rows would load" in out


def test_the_loader_leaves_the_instructions_sheet_alone_but_reports_other_sheets(
        template_dir: Path, tmp_path: Path) -> None:
    kind = CONTRACT.kinds["grade_bands"]
    book_path = fill(template_dir / "grade_bands.xlsx", kind, bundled_rows(kind),
                     tmp_path / "raw" / "2017" / "WH-DHZB" / "submission.xlsx")
    book = openpyxl.load_workbook(book_path)
    book.create_sheet("说明")["A1"] = "notes"
    book.save(book_path)
    found = RawFileReader(CONTRACT, tmp_path / "raw", tmp_path / "scratch").collect(2017)
    assert [f.source_file for f in found.files] == ["2017/WH-DHZB/submission.xlsx#评价等级区间"]
    assert [(r.source_file, r.check_name) for r in found.rejections] == [
        ("2017/WH-DHZB/submission.xlsx#说明", "known_file_kind")]
