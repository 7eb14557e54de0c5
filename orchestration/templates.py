"""Submission templates for the clerks who send raw files: one XLSX workbook per file kind, from the contract.

Each workbook has the data sheet, named by the kind's Chinese label (a name the loader reads), with the
Chinese headers in row 1, the English column names in the header cells' comments, drop-down lists for
codes, units and true/false, and number formats; and an instructions sheet named like a documentation file
(contract `documentation_files`: `README*`), which the loader skips, with one row per column and an example
row copied from the bundled data when the template is written.

    python -m orchestration.cli templates [--out DIR]     # default data/templates/
"""

from __future__ import annotations

import argparse
import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from orchestration.contract import PROJECT_ROOT, Column, FileKind, load_contract
from orchestration.quality.contract_suites import UNITS_CSV
from orchestration.quality.contract_validation import NUMBER_GRAMMAR
from orchestration.raw_files import decode_text
from orchestration.yaml_files import read_yaml

TEMPLATES_DIR = PROJECT_ROOT / "data" / "templates"
RAW_DIR = PROJECT_ROOT / "data" / "raw"
SEED_FOLDER = Path("2017") / "WH-DHZB"  # the bundled real report, under the raw folder
DEMO_FOLDER = "demo-bureau-export"
RULE_SETS_DIR = PROJECT_ROOT / "rule_sets"
INSTRUCTIONS_SHEET = "README 填表说明"
TEMPLATE_ROWS = 1000  # data rows the drop-down lists cover
BOOLEAN_CHOICES = ("是", "否", "true", "false")
MONEY_DIMENSIONS = ("CNY", "USD")  # units.csv dimensions of the units an amount may carry
TYPE_ZH = {"text": "文本", "integer": "整数", "amount": "金额", "rate": "比率", "number": "数值", "boolean": "是/否",
           "date": "日期", "code": "代码", "unit": "金额单位"}
NUMBER_FORMATS = {"amount": "#,##0.00", "integer": "0", "text": "@", "code": "@", "unit": "@"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


@dataclass(frozen=True)
class Example:
    """An example row of a kind: column name -> the text as written, and where it was taken from."""

    source: str
    values: dict[str, str] = field(default_factory=dict)


def money_units() -> list[str]:
    with UNITS_CSV.open(encoding="utf-8", newline="") as fh:
        return [row["unit"] for row in csv.DictReader(fh) if row["dimension"] in MONEY_DIMENSIONS]


def accepted_values(column: Column) -> list[str]:
    """What the drop-down list of a column offers: each code followed by its Chinese labels, the money
    units of units.csv, 是/否; nothing for a free column."""
    if column.type == "code":
        return [value for code in column.values
                for value in (code, *(label for label, of in column.labels.items() if of == code))]
    if column.type == "unit":
        return money_units()
    if column.type == "boolean":
        return list(BOOLEAN_CHOICES)
    return []


def spreadsheet_value(column: Column, text: str) -> object:
    """A value as a clerk would type it: a plain number of a numeric column as a number, the rest as text."""
    cleaned = text.strip()
    if column.type in ("amount", "integer", "number") and NUMBER_GRAMMAR.fullmatch(cleaned):
        number = Decimal(cleaned.replace(",", ""))
        if number == number.to_integral_value():
            return int(number)
        return float(number) if column.type != "integer" else text  # 1.5 as a count stays for the check to refuse
    return text


def _read_rows(path: Path, kind: FileKind) -> list[tuple[int, dict[str, str]]]:
    """The data rows of a bundled CSV file, by column name, with their spreadsheet row numbers."""
    text, _ = decode_text(path.read_bytes(), load_contract().encodings)
    records = list(csv.reader(io.StringIO(text, newline="")))
    aliases = kind.header_aliases()
    names = [aliases.get(h.strip()) for h in records[0]]
    return [(n, {name: cell for name, cell in zip(names, cells, strict=False) if name and cell.strip()})
            for n, cells in enumerate(records[1:], start=2) if any(c.strip() for c in cells)]


def example_file(kind: FileKind, raw_dir: Path = RAW_DIR) -> Path | None:
    """The bundled file an example of the kind comes from: the seed report's, else the demo export's, else
    any bundled department folder's (the project forms)."""
    name = f"{kind.name}.csv"
    candidates = [raw_dir / SEED_FOLDER / name, *sorted(raw_dir.glob(f"*/{DEMO_FOLDER}/{name}")),
                  *sorted(raw_dir.glob(f"*/*/{name}"))]
    return next((p for p in candidates if p.is_file()), None)


def _shown(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


def _composed_reviewer_score(raw_dir: Path) -> Example | None:
    """No bundled file holds reviewer scores: the seed department-year with the first judgment item of a
    department rule set, given its full weight."""
    profile = example_file(load_contract().kinds["department_profile"], raw_dir)
    if profile is None:
        return None
    _, department = _read_rows(profile, load_contract().kinds["department_profile"])[0]
    for path in sorted(RULE_SETS_DIR.glob("*.yml")):
        rule_set = read_yaml(path)
        if rule_set.get("applies_to") != "department":
            continue
        for dimension in rule_set.get("dimensions", []):
            for item in dimension.get("items", []):
                if item.get("rule") == "judgment":
                    return Example(
                        f"composed from {_shown(profile)} and {_shown(path)}",
                        {"department_code": department["department_code"], "fiscal_year": department["fiscal_year"],
                         "rule_set": rule_set["name"], "item": item["name"], "score": str(item["weight"])})
    return None


def example_row(kind: FileKind, raw_dir: Path = RAW_DIR) -> Example:
    """The most filled of the first rows of the kind's bundled example file (the first on a tie)."""
    path = example_file(kind, raw_dir)
    rows = _read_rows(path, kind)[:20] if path is not None else []
    if not rows:
        composed = _composed_reviewer_score(raw_dir) if kind.name == "reviewer_scores" else None
        return composed or Example("no bundled example")
    row, values = max(rows, key=lambda r: (len(r[1]), -r[0]))
    return Example(f"{_shown(path)} row {row}", values)


def _list_validation(column: Column, letter: str) -> DataValidation | None:
    values = accepted_values(column)
    if not values:
        return None
    formula = '"' + ",".join(values) + '"'
    if len(formula) > 257 or any("," in v or '"' in v for v in values):  # Excel's limits of an inline list
        raise ValueError(f"{column.name}: the accepted values do not fit an inline drop-down list")
    validation = DataValidation(
        type="list", formula1=formula, allow_blank=not column.required, showErrorMessage=True, errorStyle="stop",
        errorTitle="不在可选值中 / not an accepted value",
        error=f"{column.header_zh}（{column.name}）只能填：{'、'.join(values)} / accepts: {', '.join(values)}")
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    return validation


def _header_comment(column: Column) -> Comment:
    required = "必填 required" if column.required else "选填 optional"
    comment = Comment(f"{column.name}\n{TYPE_ZH[column.type]} / {column.type}; {required}\n{column.description}",
                      "contract/raw_contract.yaml")
    comment.width, comment.height = 320, 160
    return comment


def _data_sheet(book: openpyxl.Workbook, kind: FileKind) -> None:
    sheet = book.create_sheet(kind.label_zh)
    sheet.append([c.header_zh for c in kind.columns])
    for i, column in enumerate(kind.columns, start=1):
        letter = get_column_letter(i)
        cell = sheet.cell(row=1, column=i)
        cell.font = Font(bold=True, color="C00000" if column.required else None)
        cell.fill = HEADER_FILL
        cell.comment = _header_comment(column)
        dimension = sheet.column_dimensions[letter]
        dimension.width = max(12, 2 * len(column.header_zh) + 4)
        if column.type in NUMBER_FORMATS:
            dimension.number_format = NUMBER_FORMATS[column.type]
        if (validation := _list_validation(column, letter)) is not None:
            sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"


def _instructions_sheet(book: openpyxl.Workbook, kind: FileKind, example: Example) -> None:
    sheet = book.create_sheet(INSTRUCTIONS_SHEET)
    lines = [
        f"{kind.label_zh}（{kind.name}）填报模板 / submission template",
        kind.description,
        f"在工作表「{kind.label_zh}」中填写：第1行是表头，请勿修改；从第2行起每行一条记录。红色表头为必填列；"
        "带下拉列表的列只能填列表中的值。金额按报告原样填写，单位填在「金额单位」列。",
        f"Fill in the sheet '{kind.label_zh}': row 1 is the header, keep it as it is; one record a row from row 2. "
        "Red headers are required; columns with a drop-down list take one of its values. Write amounts as the "
        "report does, their unit in the unit column (金额单位).",
        f"保存为 XLSX（文件名不限），或另存为 CSV（UTF-8）并命名为 {kind.name}.csv。"
        "发送前请检查 / Check before sending: python -m orchestration.cli validate <文件 file>",
    ]
    for line in lines:
        sheet.append([line])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([])
    table = ["中文表头 header", "English name", "类型 type", "必填 required", "说明 description",
             "可选值 accepted values"]
    sheet.append(table)
    for i in range(1, len(table) + 1):
        sheet.cell(row=sheet.max_row, column=i).font = Font(bold=True)
    for column in kind.columns:
        headers = " / ".join((column.header_zh, *column.header_aliases))
        sheet.append([headers, column.name, f"{TYPE_ZH[column.type]} {column.type}", "是 yes" if column.required
                      else "", column.description, "、".join(accepted_values(column))])
    sheet.append([])
    sheet.append([f"示例 Example ({example.source}):"])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True)
    sheet.append([c.header_zh for c in kind.columns])
    sheet.append([spreadsheet_value(c, example.values[c.name]) if c.name in example.values else None
                  for c in kind.columns])
    for letter, width in zip("ABCDEF", (22, 24, 14, 12, 70, 40), strict=True):
        sheet.column_dimensions[letter].width = width


def write_template(kind: FileKind, out_dir: Path, raw_dir: Path = RAW_DIR) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    _data_sheet(book, kind)
    _instructions_sheet(book, kind, example_row(kind, raw_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{kind.name}.xlsx"
    book.save(path)
    return path


def write_templates(out_dir: Path = TEMPLATES_DIR, raw_dir: Path = RAW_DIR) -> list[Path]:
    return [write_template(kind, out_dir, raw_dir) for kind in load_contract().kinds.values()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=TEMPLATES_DIR,
                        help="folder to write the templates to (default data/templates/)")


def run(args: argparse.Namespace) -> int:
    for path in write_templates(args.out):
        print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.templates", description=__doc__.split("\n")[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
