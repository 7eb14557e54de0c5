"""Finding the raw files of a fiscal year and making each readable by DuckDB's CSV reader.

UTF-8 CSV files (with or without BOM) are read where they lie. GB18030 CSV files and XLSX sheets
are first written out as UTF-8 CSV under a scratch folder, so that one DuckDB read takes every file
of a kind. Converted XLSX sheets carry their spreadsheet row numbers in a `__source_row` column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from orchestration.contract import Contract, FileKind

SOURCE_ROW_COLUMN = "__source_row"


@dataclass(frozen=True)
class Rejection:
    """A file (or sheet) that cannot be read as its kind: it is quarantined, unless `quarantines` is
    false (a remark about a workbook as a whole, such as a missing sheet). `department_code` is the code
    every data row of the file states, where its rows can be read and all state the same one."""

    source_file: str
    kind: str | None
    reason: str
    check_name: str = "file_readable"
    column: str | None = None
    quarantines: bool = True
    department_code: str | None = None


@dataclass(frozen=True)
class ReadableFile:
    """One input (a CSV file or one XLSX sheet) ready for DuckDB."""

    kind: str
    source_file: str  # relative to the raw folder, book.xlsx#sheet for a sheet
    csv_path: Path  # what DuckDB reads
    encoding: str
    sha256: str
    # The header line as DuckDB's reader sees it. Files with the same header are read in one pass that
    # sniffs the first of them only (tolerating different headers would make DuckDB sniff every file).
    header: str


@dataclass
class YearFiles:
    year: int
    files: list[ReadableFile] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    def by_kind(self) -> dict[str, list[ReadableFile]]:
        out: dict[str, list[ReadableFile]] = {}
        for f in self.files:
            out.setdefault(f.kind, []).append(f)
        return out


def fiscal_years(raw_dir: Path) -> list[int]:
    """The year folders under the raw folder."""
    if not raw_dir.is_dir():
        return []
    return sorted(int(p.name) for p in raw_dir.iterdir() if p.is_dir() and p.name.isdigit() and len(p.name) == 4)


def data_files(raw_dir: Path, year: int) -> list[Path]:
    folder = raw_dir / str(year)
    return sorted(
        p for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in (".csv", ".xlsx") and not p.name.startswith(("~$", "."))
    )


def fingerprint(raw_dir: Path, year: int) -> str:
    """A digest of the names and contents of a year's data files (changes when any file changes)."""
    digest = hashlib.sha256()
    for path in data_files(raw_dir, year):
        digest.update(str(path.relative_to(raw_dir)).encode())
        digest.update(_sha256(path).encode())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _decode(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    for encoding in encodings:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("|".join(encodings), data, 0, 1, "no accepted encoding decodes the file")


def _header_key(first_line: str, source: str) -> str:
    """The file's header line; a header that may continue on the next line (an open quote) is unique to
    its file, so that only files whose whole header is the same are read together."""
    return first_line if first_line.count('"') % 2 == 0 else f"{first_line}\n<{source}>"


def _header_check(kind: FileKind, header: list[str], source: str) -> Rejection | None:
    aliases = kind.header_aliases()
    present = {aliases[h.strip()] for h in header if h.strip() in aliases}
    missing = [c for c in kind.columns if c.required and c.name not in present]
    if missing:
        names = ", ".join(f"{c.name} ({c.header_zh})" for c in missing)
        unknown = [h for h in header if h.strip() and h.strip() not in aliases]
        hint = f"; header(s) not in the contract: {', '.join(unknown)}" if unknown else ""
        return Rejection(source, kind.name, f"missing required column(s): {names}{hint}", "required_columns",
                         ",".join(c.name for c in missing))
    return None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _stated_codes(header: Sequence[object], rows: Iterable[Sequence[object]], headers: set[str]) -> set[str | None]:
    """The department codes the data rows (blank rows aside) state in the columns headed by one of
    `headers`, None for a row stating none (every row's None when there is no such column)."""
    columns = [i for i, h in enumerate(header) if _cell_text(h).strip() in headers]
    codes: set[str | None] = set()
    for values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        stated = (_cell_text(values[i]) for i in columns if i < len(values))
        codes.add(next((c for c in stated if c.strip()), None))
    return codes


def _one_code(codes: set[str | None]) -> str | None:
    """The department code of a file whose data rows state `codes`: the one code they all state, else None."""
    return next(iter(codes)) if len(codes) == 1 else None


class RawFileReader:
    def __init__(self, contract: Contract, raw_dir: Path, scratch_dir: Path):
        self.contract = contract
        self.raw_dir = raw_dir
        self.scratch_dir = scratch_dir
        # Every accepted header of the department code column (department_code, 部门编码), of any kind.
        self.department_headers = {alias for kind in contract.kinds.values()
                                   for alias, name in kind.header_aliases().items() if name == "department_code"}

    def _csv_codes(self, text: str) -> set[str | None]:
        """The department codes a CSV file's data rows state (none if the csv module cannot parse it)."""
        reader = csv.reader(io.StringIO(text))
        try:
            return _stated_codes(next(reader, []), reader, self.department_headers)
        except csv.Error:
            return set()

    def _sheet_codes(self, rows: list[tuple]) -> set[str | None]:
        """The department codes the data rows of a sheet (its rows, header first) state."""
        return _stated_codes(rows[0], rows[1:], self.department_headers) if rows else set()

    def collect(self, year: int) -> YearFiles:
        out = YearFiles(year=year)
        scratch = self.scratch_dir / str(year)
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True, exist_ok=True)
        for path in data_files(self.raw_dir, year):
            rel = str(path.relative_to(self.raw_dir))
            try:
                if path.suffix.lower() == ".xlsx":
                    self._collect_workbook(path, rel, scratch, out)
                else:
                    self._collect_csv(path, rel, scratch, out)
            except Exception as exc:  # a broken file must not stop the others
                kind = self.contract.kind_for_name(path.stem)
                out.rejections.append(Rejection(rel, kind.name if kind else None,
                                                f"unreadable: {type(exc).__name__}: {exc}"))
        return out

    def _collect_csv(self, path: Path, rel: str, scratch: Path, out: YearFiles) -> None:
        kind = self.contract.kind_for_name(path.stem)
        if kind is None:
            try:
                stated = _one_code(self._csv_codes(_decode(path.read_bytes(), self.contract.encodings)[0]))
            except (OSError, UnicodeDecodeError):
                stated = None
            out.rejections.append(Rejection(rel, None, f"unknown file kind '{path.stem}'; expected one of "
                                                       f"{', '.join(self.contract.kinds)}", "known_file_kind",
                                            department_code=stated))
            return
        data = path.read_bytes()
        try:
            text, encoding = _decode(data, self.contract.encodings)
        except UnicodeDecodeError:
            accepted = ", ".join(self.contract.encodings)
            out.rejections.append(Rejection(rel, kind.name, f"encoding is none of {accepted}", "file_encoding"))
            return
        lines = text.splitlines()
        if not lines or not lines[0].strip():
            out.rejections.append(Rejection(rel, kind.name, "empty file: no header row", "file_has_rows"))
            return
        problem = _header_check(kind, next(csv.reader([lines[0]])), rel)
        if problem:
            out.rejections.append(replace(problem, department_code=_one_code(self._csv_codes(text))))
            return
        if not any(line.strip(" ,\t") for line in lines[1:]):
            out.rejections.append(Rejection(rel, kind.name, "header only: no data rows", "file_has_rows"))
            return
        sha = hashlib.sha256(data).hexdigest()
        header = _header_key(lines[0], rel)
        if encoding in ("utf-8", "utf-8-sig"):
            out.files.append(ReadableFile(kind.name, rel, path, encoding, sha, header))
            return
        target = scratch / (rel.replace("/", "__") + ".utf8.csv")
        target.write_text(text, encoding="utf-8")
        out.files.append(ReadableFile(kind.name, rel, target, encoding, sha, header))

    def _collect_workbook(self, path: Path, rel: str, scratch: Path, out: YearFiles) -> None:
        sha = _sha256(path)
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            found = {getattr(self.contract.kind_for_name(sheet.title.strip()), "name", None)
                     for sheet in workbook.worksheets}
            missing = [k for k in self.contract.required_kinds if k not in found]
            remark_at = len(out.rejections) if missing else None
            if missing:
                names = ", ".join(f"{k} ({self.contract.kinds[k].label_zh})" for k in missing)
                out.rejections.append(Rejection(rel, None, f"workbook has no sheet for: {names}",
                                                "workbook_sheets", quarantines=False))
            # The department codes the data rows of the workbook's contract sheets state (for the remark).
            workbook_codes: set[str | None] = set()
            for sheet in workbook.worksheets:
                source = f"{rel}#{sheet.title}"
                kind = self.contract.kind_for_name(sheet.title.strip())
                rows = list(sheet.iter_rows(values_only=True))
                if kind is None:
                    out.rejections.append(Rejection(source, None, f"unknown sheet '{sheet.title}'", "known_file_kind",
                                                    quarantines=False,
                                                    department_code=_one_code(self._sheet_codes(rows))))
                    continue
                if missing:
                    workbook_codes |= self._sheet_codes(rows)
                if not rows or all(v is None for v in rows[0]):
                    out.rejections.append(Rejection(source, kind.name, "empty sheet: no header row", "file_has_rows"))
                    continue
                header = [_cell_text(v) for v in rows[0]]
                problem = _header_check(kind, header, source)
                if problem:
                    out.rejections.append(replace(problem, department_code=_one_code(self._sheet_codes(rows))))
                    continue
                if all(all(v is None or str(v).strip() == "" for v in r) for r in rows[1:]):
                    out.rejections.append(Rejection(source, kind.name, "header only: no data rows", "file_has_rows"))
                    continue
                target = scratch / (rel.replace("/", "__") + f"__{kind.name}.csv")
                header_line = io.StringIO()
                csv.writer(header_line).writerow([*header, SOURCE_ROW_COLUMN])
                with target.open("w", encoding="utf-8", newline="") as fh:
                    fh.write(header_line.getvalue())
                    writer = csv.writer(fh)
                    for excel_row, values in enumerate(rows[1:], start=2):
                        if all(v is None or str(v).strip() == "" for v in values):
                            continue
                        writer.writerow([*(_cell_text(v) for v in values), excel_row])
                out.files.append(ReadableFile(kind.name, source, target, "xlsx", sha,
                                              _header_key(header_line.getvalue().rstrip("\r\n"), source)))
            if remark_at is not None:
                out.rejections[remark_at] = replace(out.rejections[remark_at],
                                                    department_code=_one_code(workbook_codes))
        finally:
            workbook.close()
