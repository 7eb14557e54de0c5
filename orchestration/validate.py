"""Checking files against the raw data contract before they are sent, without loading the warehouse.

    python -m orchestration.cli validate PATH... [--year YEAR]

Every CSV or XLSX file given (or found in a folder given) is copied into a scratch raw folder under its
fiscal year, and the warehouse's own loader screens and loads that year into an in-memory DuckDB database
(orchestration/raw_files.py RawFileReader, orchestration/raw_load.py load_year, with the Great Expectations
suites of expectations/): what it records in raw._contract_findings is printed, one problem a line, as
`file:row:column: 中文说明 / English message`, then a verdict per file. The working database and the
published marts are never opened. Exit status 1 when a file would be quarantined (or could not be
checked), 0 otherwise: warnings alone do not fail.
"""

from __future__ import annotations

import argparse
import csv
import fnmatch
import io
import re
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import openpyxl

from orchestration.contract import Contract, load_contract
from orchestration.raw_files import RawFileReader, cell_text, decode_text, year_of_folder
from orchestration.raw_load import FINDINGS_TABLE, load_year
from orchestration.sql import sql_name

DATA_SUFFIXES = (".csv", ".xlsx")
DESCRIPTION = ("Check CSV or XLSX files (or folders of them) against the raw data contract with the warehouse's own "
               "loader, on a scratch copy: nothing is loaded into the warehouse. One line a problem, "
               "file:row:column: 中文说明 / English message, then a verdict per file; exit status 1 when a file "
               "would be quarantined, 0 otherwise (warnings alone do not fail).")
YEAR_HELP = ("fiscal year of the files whose path and rows give none. A file's year is taken from its path "
             "when it follows the layout (.../<year>/<department>/<kind>.csv or .../<year>/<kind>.csv), else "
             "from its own fiscal_year (年度) column, else from --year. The department is what its rows state "
             "in department_code (部门编码), as when the warehouse loads it.")
TYPE_PROBLEM_ZH = {"amount": "不是金额（数字，千分位逗号只能三位一组，如 1,863.5；单独的短横线表示零）",
                   "integer": "不是整数", "number": "不是数字", "rate": "不是比率（80.02% 或 0.8002）",
                   "date": "不是日期（YYYY-MM-DD）"}
CHECK_ZH = {
    "file_readable": "文件无法读取",
    "link_outside_raw": "链接指向原始数据文件夹之外：不读取",
    "file_format": "这是 ZIP 压缩包（扩展名为 .csv 的 XLSX 工作簿？）：请另存为 .xlsx 或 CSV",
    "file_encoding": "文件编码不是 UTF-8、带 BOM 的 UTF-8 或 GB18030",
    "csv_format": "CSV 格式错误（引号未闭合，或闭合引号后还有文字）",
    "file_has_rows": "没有数据行（空文件、空工作表或只有表头）",
    "required_columns": "缺少必填列",
    "header_repeated": "该行重复了表头（两个文件拼在一起？）：不作为数据读取",
    "extra_fields": "该行的值多于表头的列数（某个值里有未加引号的逗号？）",
    "unnamed_column": "该值所在的列没有表头：不会入库",
    "invisible_characters": "含有不可见字符（BOM、零宽或控制字符），已去除后读取",
    "formula_without_value": "公式没有保存计算结果：请用 Excel 或 WPS 打开并保存",
    "workbook_sheets": "工作簿缺少应报的工作表",
    "unrecognised_file": "不是 CSV 或 XLSX 数据文件：不会入库",
    "fiscal_year_unknown": "无法确定年度：路径中没有年度文件夹，数据行也没有年度；请用 --year 指定",
    "path_missing": "文件或文件夹不存在",
    "expect_column_values_to_not_be_null": "为必填项，但为空",
    "expect_column_values_to_be_between": "超出允许范围",
    "expect_compound_columns_to_be_unique": "与另一行的主键重复",
    "expect_column_values_to_be_unique": "与另一行的主键重复",
}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}
MORE_LIKE = re.compile(r"(\d+) more (?:rows|formulas) like")


@dataclass(frozen=True)
class Problem:
    file: str  # as the user named it, `#sheet` for a sheet of a workbook
    row: int | None
    column: str | None
    check: str
    severity: str
    zh: str
    en: str

    def line(self) -> str:
        where = f"{self.file}:{self.row if self.row is not None else '-'}:{self.column or '-'}"
        return f"{where}: [{SEVERITY_ZH[self.severity]} {self.severity}] {self.zh} / {self.en}"


@dataclass
class Report:
    files: list[str] = field(default_factory=list)  # every file checked or refused, in order
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # rows that would load, by file

    def of(self, name: str) -> list[Problem]:
        return [p for p in self.problems if p.file == name or p.file.startswith(f"{name}#")]

    def quarantined(self, name: str) -> bool:
        return any(p.severity == "error" for p in self.of(name))


def _expand(paths: Iterable[Path], contract: Contract, report: Report) -> list[tuple[Path, str]]:
    """The data files to check, with the name each is shown under. In a folder, hidden files and
    documentation (contract `documentation_files`) are left alone and any other file that is no CSV or XLSX
    file is a warning; a file named that is no CSV or XLSX file is an error."""
    found: list[tuple[Path, str]] = []
    seen: set[Path] = set()
    for given in paths:
        if given.is_dir():
            entries = [p for p in sorted(given.rglob("*")) if p.is_file()
                       and not any(part.startswith(".") for part in p.relative_to(given).parts)
                       and not any(fnmatch.fnmatch(p.name, pattern) for pattern in contract.documentation_files)]
            named = False
        elif given.exists():
            entries, named = [given], True
        else:
            report.files.append(str(given))
            report.problems.append(Problem(str(given), None, None, "path_missing", "error", CHECK_ZH["path_missing"],
                                           "no such file or folder"))
            continue
        for path in entries:
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            report.files.append(str(path))
            if path.suffix.lower() in DATA_SUFFIXES and not path.name.startswith("~$"):
                found.append((path, str(path)))
                continue
            hint = " (an Office lock file: the workbook is open)" if path.name.startswith("~$") else ""
            report.problems.append(Problem(
                str(path), None, None, "unrecognised_file", "error" if named else "warning",
                CHECK_ZH["unrecognised_file"], f"no CSV or XLSX data file: nothing in it would be loaded{hint}"))
    return found


def _stated_year(path: Path, contract: Contract) -> int | None:
    """The fiscal year the first data row of the file (of any sheet named by a kind) states."""
    headers = {alias for kind in contract.kinds.values() for alias, name in kind.header_aliases().items()
               if name == "fiscal_year"}
    tables: list[list[list[str]]] = []
    try:
        if path.suffix.lower() == ".xlsx":
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                tables = [[[cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
                          for sheet in book.worksheets if contract.kind_for_name(sheet.title.strip())]
            finally:
                book.close()
        else:
            text, _ = decode_text(path.read_bytes(), contract.encodings)
            tables = [list(csv.reader(io.StringIO(text, newline="")))]
    except Exception:  # an unreadable file states no year; the loader says why it is unreadable
        return None
    for rows in tables:
        columns = [i for i, h in enumerate(rows[0] if rows else []) if h.strip() in headers]
        for row in rows[1:]:
            for i in columns:
                if i < len(row) and (year := year_of_folder(row[i])) is not None:
                    return year
    return None


def fiscal_year_of(path: Path, contract: Contract, fallback: int | None) -> int | None:
    """The layout's year folder (parent, or grandparent under a department folder), else the year the rows
    state, else the fallback."""
    for folder in (path.parent, path.parent.parent):
        if (year := year_of_folder(folder.name)) is not None:
            return year
    stated = _stated_year(path, contract)
    return stated if stated is not None else fallback


def _column_zh(contract: Contract, kind: str | None, column: str | None) -> str:
    spec = contract.kinds.get(kind or "")
    if spec is None or not column:
        return column or ""
    by_name = {c.name: c.header_zh for c in spec.columns}
    return "、".join(by_name.get(name, name) for name in column.split(","))


def chinese(contract: Contract, finding: dict) -> str:
    """The Chinese explanation of a finding of raw._contract_findings."""
    check, column, value = finding["check_name"], finding["source_column"], finding["value"]
    header = _column_zh(contract, finding["kind"], column)
    quoted = f"'{value}'" if value is not None else ""
    if more := MORE_LIKE.search(finding["reason"]):
        return f"{header}：另有 {more.group(1)} 处同类问题".lstrip("：")
    if "could not be checked" in finding["reason"]:
        return f"{header} 无法检查"
    if check == "known_file_kind":
        if "#" in finding["source_file"]:
            return "工作表名称不是已知的文件类型（应为类型的英文名或中文名，如 budget_lines 或 项目支出明细）"
        return "文件名不是已知的文件类型（应为 budget_lines.csv 等，见 docs/raw-data.md）"
    if check == "unknown_header":
        if column:
            return f"表头 {quoted} 不在数据契约中，看起来是缺少的列「{header}」：请改名为「{header}」"
        closest = re.search(r"closest known header: (.+)\)$", finding["reason"])
        hint = f"（最接近的已知表头：{closest.group(1)}）" if closest else ""
        return f"表头 {quoted} 不在数据契约中：该列不会入库{hint}"
    if check == "duplicate_header":
        return f"两个表头都对应「{header}」：请只保留一个"
    if check == "required_columns":
        return f"缺少必填列：{header}"
    if check == "expect_column_values_to_match_regex":
        spec = contract.kinds[finding["kind"]]
        kind_of = {c.name: c.type for c in spec.columns}.get(column or "", "")
        return f"{header} {quoted} {TYPE_PROBLEM_ZH.get(kind_of, '格式不符合数据契约')}"
    if check == "expect_column_values_to_be_in_set":
        if column == "fiscal_year":
            return f"{header} {quoted} 与文件所属年度 {finding['_partition_year']} 不符"
        return f"{header} {quoted} 不是可选值之一（见模板的下拉列表或 docs/raw-data.md）"
    if check.startswith("expect_"):
        return " ".join(part for part in (header, quoted, CHECK_ZH.get(check, "不符合数据契约")) if part)
    return CHECK_ZH.get(check, "不符合数据契约")


def _check_year(contract: Contract, year: int, files: list[tuple[Path, str]], scratch: Path, report: Report) -> None:
    """Lay the files out as one fiscal year of a raw folder, run the loader into an in-memory database and
    collect its findings, named back to the files given."""
    raw_dir = scratch / "raw"
    shown: dict[str, str] = {}
    for i, (path, name) in enumerate(files):
        target = raw_dir / str(year) / f"f{i:04d}" / path.name  # one folder each: no two files collide
        target.parent.mkdir(parents=True)
        shutil.copyfile(path, target)
        shown[str(target.relative_to(raw_dir))] = name
    year_files = RawFileReader(contract, raw_dir, scratch / "converted").collect(year)
    con = duckdb.connect(":memory:")
    try:
        load_year(con, contract, year_files)
        cursor = con.execute(f"select * from {FINDINGS_TABLE} order by source_file, source_row nulls first")
        names = [d[0] for d in cursor.description]
        for values in cursor.fetchall():
            finding = dict(zip(names, values, strict=True))
            source, _, sheet = finding["source_file"].partition("#")
            name = shown.get(source, source) + (f"#{sheet}" if sheet else "")
            report.problems.append(Problem(name, finding["source_row"], finding["source_column"],
                                           finding["check_name"], finding["severity"], chinese(contract, finding),
                                           finding["reason"]))
        for kind in contract.kinds:
            loaded = con.execute(f"select _source_file, count(*) from raw.{sql_name(kind)} group by 1").fetchall()
            for source, count in loaded:
                name = shown.get(source.partition("#")[0])
                report.rows[name] = report.rows.get(name, 0) + count
    finally:
        con.close()


def check(paths: list[Path], year: int | None = None) -> Report:
    contract = load_contract()
    report = Report()
    by_year: dict[int, list[tuple[Path, str]]] = {}
    for path, name in _expand(paths, contract, report):
        file_year = fiscal_year_of(path, contract, year)
        if file_year is None:
            report.problems.append(Problem(name, None, None, "fiscal_year_unknown", "error",
                                           CHECK_ZH["fiscal_year_unknown"], "cannot tell the fiscal year: no year "
                                           "folder in the path, no fiscal_year in the rows; give --year"))
        else:
            by_year.setdefault(file_year, []).append((path, name))
    with tempfile.TemporaryDirectory(prefix="validate-") as scratch:
        for file_year, files in sorted(by_year.items()):
            _check_year(contract, file_year, files, Path(scratch) / str(file_year), report)
    return report


def verdict(report: Report, name: str) -> str:
    problems = report.of(name)
    counts = {s: sum(p.severity == s for p in problems) for s in ("error", "warning")}
    tally = f"{counts['error']} errors, {counts['warning']} warnings, {report.rows.get(name, 0)} rows would load"
    if report.quarantined(name):
        return f"{name}: 将被隔离（不入库）quarantined — {tally}"
    return f"{name}: 通过 ok — {tally}"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="CSV or XLSX files, or folders of them")
    parser.add_argument("--year", type=int, help=YEAR_HELP)


def run(args: argparse.Namespace) -> int:
    report = check(args.paths, args.year)
    for name in report.files:
        for problem in report.of(name):
            print(problem.line())
        print(verdict(report, name))
    bad = [name for name in report.files if report.quarantined(name)]
    print(f"{len(report.files)} files checked: {len(report.files) - len(bad)} ok, {len(bad)} would be quarantined")
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.validate", description=DESCRIPTION)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
