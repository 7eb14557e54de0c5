"""Finding the raw files of a fiscal year and making each readable by DuckDB's CSV reader.

UTF-8 CSV files (with or without BOM) are read where they lie. GB18030 CSV files and XLSX sheets
are first written out as UTF-8 CSV under a scratch folder, so that one DuckDB read takes every file
of a kind. Converted XLSX sheets carry their spreadsheet row numbers in a `__source_row` column.
"""

from __future__ import annotations

import csv
import difflib
import fnmatch
import hashlib
import io
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl

from orchestration.contract import Contract, FileKind, load_contract

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
    row: int | None = None
    value: str | None = None


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


# Characters nobody can see that change what a code or a name is: byte-order marks, zero-width
# characters, NUL and the other control characters (tab and line breaks stay: quoted text holds them).
INVISIBLE = re.compile("[\ufeff\u200b\u200c\u200d\u2060\u00ad\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FINDINGS_PER_FILE = 20  # cell-level remarks reported per file and check, the rest summarised
QUOTED_MAX = 60  # no finding quotes more than the offending cell, and a cell up to this length


def quoted(value: str) -> str:
    """A cell as a finding shows it: invisible characters escaped, cut at QUOTED_MAX characters."""
    text = INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return text if len(text) <= QUOTED_MAX else text[:QUOTED_MAX] + "…"


def year_of_folder(name: str) -> int | None:
    """The fiscal year a folder name gives: four digits, full-width digits and surrounding spaces allowed."""
    text = unicodedata.normalize("NFKC", name).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) == 4 else None


def _is_documentation(name: str, contract: Contract) -> bool:
    return any(fnmatch.fnmatch(name, pattern) for pattern in contract.documentation_files)


@dataclass
class RawLayout:
    """What the raw folder holds: each fiscal year's folders, and what is neither a year folder nor
    documentation (findings without a year)."""

    years: dict[int, list[Path]] = field(default_factory=dict)
    strays: list[Rejection] = field(default_factory=list)


def _outside(path: Path, root: Path) -> bool:
    """Whether a link resolves outside the raw folder (its target is never read)."""
    return path.is_symlink() and not path.resolve().is_relative_to(root)


def raw_layout(raw_dir: Path, contract: Contract) -> RawLayout:
    layout = RawLayout()
    if not raw_dir.is_dir():
        return layout
    root = raw_dir.resolve()
    for entry in sorted(raw_dir.iterdir()):
        if entry.name.startswith("."):
            continue
        year = year_of_folder(entry.name) if entry.is_dir() else None
        if _outside(entry, root):
            layout.strays.append(_link_refused(entry.name))
        elif year is not None:
            layout.years.setdefault(year, []).append(entry)
            if entry.name != str(year):
                layout.strays.append(Rejection(
                    entry.name, None, f"folder '{quoted(entry.name)}' read as fiscal year {year}: "
                    f"rename it {year}", "year_folder_name", quarantines=False))
        elif not (entry.is_file() and _is_documentation(entry.name, contract)):
            what = "folder" if entry.is_dir() else "file"
            layout.strays.append(Rejection(
                entry.name, None, f"{what} '{quoted(entry.name)}' is no year folder (data/raw/<fiscal year>/) "
                "and no documentation: nothing in it is loaded", "unrecognised_file", quarantines=False))
    return layout


def _link_refused(source: str) -> Rejection:
    return Rejection(source, None, "a link that resolves outside the raw folder: refused, its target is not read",
                     "link_outside_raw")


def fiscal_years(raw_dir: Path, contract: Contract | None = None) -> list[int]:
    """The fiscal years of the year folders under the raw folder."""
    return sorted(raw_layout(raw_dir, contract or load_contract()).years)


def _year_entries(raw_dir: Path, year: int, contract: Contract) -> tuple[list[Path], list[Rejection]]:
    """A year's data files (CSV or XLSX, in any sub-folder), and what else its folders hold that is
    neither data nor documentation nor hidden, or a link out of the raw folder."""
    root = raw_dir.resolve()
    files: list[Path] = []
    strays: list[Rejection] = []
    seen: set[Path] = set()

    def walk(folder: Path) -> None:
        if folder.resolve() in seen:  # a link back to a folder already read
            return
        seen.add(folder.resolve())
        for entry in sorted(folder.iterdir()):
            rel = str(entry.relative_to(raw_dir))
            if entry.name.startswith("."):
                continue
            if _outside(entry, root):
                strays.append(_link_refused(rel))
            elif entry.is_dir():
                walk(entry)
            elif not entry.is_file():
                continue
            elif entry.suffix.lower() in (".csv", ".xlsx") and not entry.name.startswith("~$"):
                files.append(entry)
            elif not _is_documentation(entry.name, contract):
                hint = (" (an Office lock file: the workbook was open when the folder was copied)"
                        if entry.name.startswith("~$") else "")
                strays.append(Rejection(rel, None, f"file '{quoted(entry.name)}' is no CSV or XLSX data file and no "
                                        f"documentation: not loaded{hint}", "unrecognised_file", quarantines=False))

    for folder in raw_layout(raw_dir, contract).years.get(year, []):
        walk(folder)
    return sorted(files), strays


def data_files(raw_dir: Path, year: int, contract: Contract | None = None) -> list[Path]:
    return _year_entries(raw_dir, year, contract or load_contract())[0]


def fingerprint(raw_dir: Path, year: int) -> str:
    """A digest of the names and contents of a year's data files (changes when any file changes)."""
    digest = hashlib.sha256()
    for path in data_files(raw_dir, year):
        digest.update(str(path.relative_to(raw_dir)).encode())
        digest.update(_sha256(path).encode())
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def decode_text(data: bytes, encodings: tuple[str, ...]) -> tuple[str, str]:
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


# A quoted value on one line with no quote inside it, after a comma or first on its line (two patterns: one
# that starts with a literal comma is searched for several times faster).
_QUOTED_AFTER_COMMA = re.compile(r',"[^"\r\n]*"(?=,|\r?$)', re.MULTILINE)
_QUOTED_FIRST = re.compile(r'^"[^"\r\n]*"(?=,|\r?$)', re.MULTILINE)
_BLANK_LINE = re.compile(r"^[\s,]*$", re.MULTILINE)


def plain_csv(kind: FileKind, text: str, encoding: str, source: str) -> str | None:
    """The header line of a UTF-8 CSV file whose reading by the csv module could find nothing (every row
    one line, in one style of line ending, no blank or repeated header row, no value beyond the header,
    no invisible character, a header the contract accepts as it is): DuckDB reads such a file where it
    lies, with the rows numbered by their lines. None: the file needs the csv module's reading, row by row
    (RawFileReader._collect_csv). Decided with a few passes of C string and regex code over the whole
    text, so the common clean file costs no Python per row; any doubt answers None."""
    if encoding not in ("utf-8", "utf-8-sig") or "\0" in text or INVISIBLE.search(text):
        return None
    newline = "\r\n" if "\r\n" in text else "\n"
    if text.count(newline) != text.count("\n") or text.count("\r") != (text.count("\n") if newline == "\r\n" else 0):
        return None
    body = text[:-len(newline)] if text.endswith(newline) else text
    first_line, _, rows = body.partition(newline)
    if not rows or '"' in first_line:
        return None
    names = first_line.split(",")
    if any(not n.strip() for n in names) or header_findings(kind, names, source):
        return None
    unquoted = _QUOTED_FIRST.sub("", _QUOTED_AFTER_COMMA.sub(",", rows)) if '"' in rows else rows
    if '"' in unquoted or _BLANK_LINE.search(unquoted):
        return None
    # A row with as many commas as the header has columns holds a value beyond the last column.
    if max(line.count(",") for line in unquoted.split("\n")) >= len(names):
        return None
    first = re.escape(names[0].strip())
    if re.search(rf'(?m)^[\s"]*{first}[\s"]*(?:,|\r?$)', rows):  # the header repeated (two files joined?)
        return None
    return first_line


def _likeness(a: str, b: str) -> float:
    """How much a header looks like another: difflib's ratio, or the share of the shorter one that a
    common run of two or more characters covers (实际支出数 / 支出金额)."""
    a, b = a.lower(), b.lower()
    matcher = difflib.SequenceMatcher(None, a, b)
    block = matcher.find_longest_match(0, len(a), 0, len(b)).size
    return max(matcher.ratio(), block / min(len(a), len(b)) if block >= 2 else 0.0)


def header_findings(kind: FileKind, header: list[str], source: str) -> list[Rejection]:
    """Every header accounted for: two headers giving one column, a header the contract does not
    know (quarantining the file when it looks like a column the file lacks, so that the column is
    not loaded empty), a required column missing."""
    aliases = kind.header_aliases()
    by_column: dict[str, list[str]] = {}
    unknown: list[str] = []
    for cell in header:
        name = cell.strip()
        if name in aliases:
            by_column.setdefault(aliases[name], []).append(name)
        elif name:
            unknown.append(name)
    columns = {c.name: c for c in kind.columns}
    findings = [
        Rejection(source, kind.name, " and ".join(f"'{quoted(n)}'" for n in names)
                  + f" both give {name} ({columns[name].header_zh}): keep one", "duplicate_header", name)
        for name, names in by_column.items() if len(names) > 1
    ]
    absent = [c for c in kind.columns if c.name not in by_column]
    for name in unknown:
        scored = [(_likeness(name, h), h, c) for c in kind.columns for h in c.headers]
        likeness, closest, column = max(scored, key=lambda s: s[0])
        lacking = column in absent and likeness >= 0.5
        if lacking:
            reason = (f"header '{quoted(name)}' is not in the contract; it looks like {closest} "
                      f"({column.name}), which the file lacks: rename it {column.header_zh}")
        else:
            hint = f" (closest known header: {closest})" if likeness >= 0.5 else ""
            reason = f"header '{quoted(name)}' is not in the contract: its column is not loaded{hint}"
        findings.append(Rejection(source, kind.name, reason, "unknown_header", column.name if lacking else None,
                                  quarantines=lacking, value=quoted(name)))
    missing = [c for c in absent if c.required]
    if missing:
        names = ", ".join(f"{c.name} ({c.header_zh})" for c in missing)
        findings.append(Rejection(source, kind.name, f"missing required column(s): {names}", "required_columns",
                                  ",".join(c.name for c in missing)))
    return findings


@dataclass
class ScannedRows:
    """A file's data rows as the contract will read them, each with its spreadsheet row number, and
    what the scan found; `renumbered` when rows are not one a line (blank lines, changed cells), so that
    the rows must be written out with their numbers."""

    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    findings: list[Rejection] = field(default_factory=list)
    renumbered: bool = False


def scan_rows(kind: FileKind, header: list[str], records: Iterable[tuple[int, list[str]]],
              source: str, invisible: bool = True) -> ScannedRows:
    """The data rows of a file (records numbered as a spreadsheet shows them, header row 1): blank rows
    skipped, invisible characters removed and reported (`invisible`: whether the file may hold any, so
    that most files skip the search cell by cell), values beyond the header or under a column without
    a header reported (they would be lost)."""
    out = ScannedRows()
    width = len(header)
    unnamed = sorted(i for i, h in enumerate(header) if not h.strip())
    names = [h.strip() for h in header]
    columns = [kind.header_aliases().get(name, name) for name in names]  # what a finding names a column
    reported: dict[str, int] = {}

    def report(check: str, finding: Rejection) -> None:
        reported[check] = reported.get(check, 0) + 1
        if reported[check] <= FINDINGS_PER_FILE:
            out.findings.append(finding)

    for row, cells in records:
        if not (cells and cells[0].strip()) and not any(c.strip() for c in cells):
            out.renumbered = out.renumbered or row > 1
            continue
        if cells[0].strip() == names[0] and [c.strip() for c in cells] == names:
            out.renumbered = True
            report("header_repeated", Rejection(
                source, kind.name, f"row {row} repeats the header (two files joined?): not read as data",
                "header_repeated", None, quarantines=False, row=row))
            continue
        extra = cells[width:]
        if extra:
            out.renumbered = True
            if any(c.strip() for c in extra):
                report("extra_fields", Rejection(
                    source, kind.name, f"row {row} has {len(cells)} values, the header {width}: "
                    f"'{quoted(','.join(extra))}' beyond the last column (a value with an unquoted comma?)",
                    "extra_fields", None, row=row, value=quoted(",".join(extra))))
            cells = cells[:width]
        for i in unnamed:
            if i < len(cells) and cells[i].strip():
                report("unnamed_column", Rejection(
                    source, kind.name, f"row {row}: '{quoted(cells[i])}' in column {i + 1}, which has no header: "
                    "not loaded", "unnamed_column", None, quarantines=False, row=row, value=quoted(cells[i])))
        for i, cell in enumerate(cells if invisible else ()):
            if INVISIBLE.search(cell):
                out.renumbered = True
                cleaned = INVISIBLE.sub("", cell)
                column = columns[i] if i < width else None
                report("invisible_characters", Rejection(
                    source, kind.name, f"'{quoted(cell)}' holds invisible characters (byte-order mark, zero-width "
                    f"or control): read as '{quoted(cleaned)}'", "invisible_characters", column,
                    quarantines=False, row=row, value=quoted(cell)))
                cells = [*cells[:i], cleaned, *cells[i + 1:]]
        out.rows.append((row, cells))
    for check, count in reported.items():
        if count > FINDINGS_PER_FILE:
            first = next(f for f in out.findings if f.check_name == check)
            out.findings.append(replace(first, row=None, value=None,
                                        reason=f"{count - FINDINGS_PER_FILE} more rows like row {first.row}"))
    return out


def cell_text(value: object) -> str:
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
    columns = [i for i, h in enumerate(header) if cell_text(h).strip() in headers]
    codes: set[str | None] = set()
    for values in rows:
        if all(v is None or str(v).strip() == "" for v in values):
            continue
        stated = (cell_text(values[i]) for i in columns if i < len(values))
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
        files, strays = _year_entries(self.raw_dir, year, self.contract)
        out.rejections += strays
        for path in files:
            rel = str(path.relative_to(self.raw_dir))
            try:
                if path.suffix.lower() == ".xlsx":
                    self._collect_workbook(path, rel, scratch, out)
                else:
                    self._collect_csv(path, rel, scratch, out)
            except Exception as exc:  # a broken file must not stop the others
                kind = self.contract.kind_for_name(path.stem)
                out.rejections.append(Rejection(rel, kind.name if kind else None,
                                                f"unreadable: {type(exc).__name__}: {quoted(str(exc))}"))
        return out

    def _add(self, out: YearFiles, kind: FileKind, source: str, header: list[str], scanned: ScannedRows,
             found: list[Rejection]) -> bool:
        """Record a file's findings, with the one department code its rows state (computed only for a file
        with findings); whether it may load (no finding quarantines it, and it has rows)."""
        stated = (_one_code(_stated_codes(header, (cells for _, cells in scanned.rows), self.department_headers))
                  if found or not scanned.rows else None)
        out.rejections += [replace(f, department_code=stated) for f in found]
        if any(f.quarantines for f in found):
            return False
        if not scanned.rows:
            out.rejections.append(Rejection(source, kind.name, "header only: no data rows", "file_has_rows",
                                            department_code=stated))
            return False
        return True

    def _write_numbered(self, target: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> str:
        """Write rows as UTF-8 CSV with their spreadsheet row numbers; the header line (the file's key)."""
        header_line = io.StringIO()
        csv.writer(header_line).writerow([*header, SOURCE_ROW_COLUMN])
        with target.open("w", encoding="utf-8", newline="") as fh:
            fh.write(header_line.getvalue())
            writer = csv.writer(fh)
            for row, cells in rows:
                writer.writerow([*cells, *[""] * (len(header) - len(cells)), row])
        return header_line.getvalue().rstrip("\r\n")

    def _collect_csv(self, path: Path, rel: str, scratch: Path, out: YearFiles) -> None:
        kind = self.contract.kind_for_name(path.stem)
        data = path.read_bytes()
        if data.startswith(b"PK\x03\x04"):
            out.rejections.append(Rejection(rel, kind.name if kind else None, "a ZIP archive, not a CSV file (an XLSX "
                                            "workbook named .csv?): save it as .xlsx or as CSV", "file_format"))
            return
        try:
            text, encoding = decode_text(data, self.contract.encodings)
        except UnicodeDecodeError:
            accepted = ", ".join(self.contract.encodings)
            out.rejections.append(Rejection(rel, kind.name if kind else None, f"encoding is none of {accepted}",
                                            "file_encoding"))
            return
        if kind is None:
            out.rejections.append(Rejection(rel, None, f"unknown file kind '{quoted(path.stem)}'; expected one of "
                                                       f"{', '.join(self.contract.kinds)}", "known_file_kind",
                                            department_code=_one_code(self._csv_codes(text))))
            return
        sha = hashlib.sha256(data).hexdigest()
        if (plain := plain_csv(kind, text, encoding, rel)) is not None:
            out.files.append(ReadableFile(kind.name, rel, path, encoding, sha, plain))
            return
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        records: list[tuple[int, list[str]]] = []
        try:
            for row, cells in enumerate(reader, start=1):
                records.append((row, cells))
        except csv.Error as exc:
            row = len(records) + 1
            out.rejections.append(Rejection(
                rel, kind.name, f"not a well-formed CSV file from row {row} (line {reader.line_num}): {exc} "
                "(an unterminated quote, or text after a closing quote)", "csv_format", row=row,
                department_code=_one_code(self._csv_codes(text))))
            return
        if not records or not any(c.strip() for c in records[0][1]):
            out.rejections.append(Rejection(rel, kind.name, "empty file: no header row", "file_has_rows"))
            return
        header = [INVISIBLE.sub("", c) for c in records[0][1]]
        scanned = scan_rows(kind, header, records[1:], rel, invisible=INVISIBLE.search(text) is not None)
        found = [*header_findings(kind, header, rel), *scanned.findings]
        if not self._add(out, kind, rel, header, scanned, found):
            return
        # DuckDB reads a file where it lies when its rows are one a line, in one style of line ending, and
        # as written; any other file is written out with its rows' numbers.
        crlf = text.count("\r\n")
        one_style = crlf == text.count("\n") == text.count("\r") or (crlf == 0 and "\r" not in text)
        in_place = (encoding in ("utf-8", "utf-8-sig") and one_style and not scanned.renumbered
                    and header == records[0][1] and reader.line_num == len(records))
        if in_place:
            first_line = text.partition("\n")[0].rstrip("\r")
            out.files.append(ReadableFile(kind.name, rel, path, encoding, sha, _header_key(first_line, rel)))
            return
        target = scratch / (rel.replace("/", "__") + ".utf8.csv")
        header_line = self._write_numbered(target, header, scanned.rows)
        out.files.append(ReadableFile(kind.name, rel, target, encoding, sha, header_line))

    def _collect_workbook(self, path: Path, rel: str, scratch: Path, out: YearFiles) -> None:
        sha = _sha256(path)
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
        formulas = openpyxl.load_workbook(path, read_only=True, data_only=False)
        try:
            found_kinds = {getattr(self.contract.kind_for_name(sheet.title.strip()), "name", None)
                           for sheet in workbook.worksheets}
            # A workbook of one kind is one file of that kind (a clerk's filled template), as a CSV file is: whether
            # the department-year is complete is the dbt check missing_file_kind's. A workbook of several kinds
            # is a department-year's submission, and says here which required sheets it lacks.
            found_kinds.discard(None)
            missing = [k for k in self.contract.required_kinds if k not in found_kinds] if len(found_kinds) > 1 else []
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
                if kind is None and _is_documentation(sheet.title.strip(), self.contract):
                    continue  # a sheet of notes named like a documentation file (the templates' README 填表说明)
                rows = list(sheet.iter_rows(values_only=True))
                if kind is None:
                    out.rejections.append(Rejection(source, None, f"unknown sheet '{quoted(sheet.title)}'",
                                                    "known_file_kind", quarantines=False,
                                                    department_code=_one_code(self._sheet_codes(rows))))
                    continue
                if missing:
                    workbook_codes |= self._sheet_codes(rows)
                if not rows or all(v is None for v in rows[0]):
                    out.rejections.append(Rejection(source, kind.name, "empty sheet: no header row", "file_has_rows"))
                    continue
                header = [INVISIBLE.sub("", cell_text(v)) for v in rows[0]]
                unsaved = _formulas_without_value(kind, header, rows, formulas[sheet.title], source)
                scanned = scan_rows(kind, header, ((n, [cell_text(v) for v in r])
                                                   for n, r in enumerate(rows[1:], start=2)), source)
                found = [*header_findings(kind, header, source), *unsaved, *scanned.findings]
                if not self._add(out, kind, source, header, scanned, found):
                    continue
                target = scratch / (rel.replace("/", "__") + f"__{kind.name}.csv")
                header_line = self._write_numbered(target, header, scanned.rows)
                out.files.append(ReadableFile(kind.name, source, target, "xlsx", sha, _header_key(header_line, source)))
            if remark_at is not None:
                out.rejections[remark_at] = replace(out.rejections[remark_at],
                                                    department_code=_one_code(workbook_codes))
        finally:
            workbook.close()
            formulas.close()


def _formulas_without_value(kind: FileKind, header: list[str], rows: list[tuple], formula_sheet,
                            source: str) -> list[Rejection]:
    """Formula cells whose workbook holds no computed value (saved by a program that does not compute
    them): their value is unknown, so the sheet is quarantined rather than loaded with empty cells."""
    found: list[Rejection] = []
    aliases = kind.header_aliases()
    for row, (values, written) in enumerate(zip(rows, formula_sheet.iter_rows(values_only=True), strict=False),
                                            start=1):
        for i, (value, formula) in enumerate(zip(values, written, strict=False)):
            if value is None and isinstance(formula, str) and formula.startswith("="):
                column = aliases.get(header[i].strip(), header[i]) if i < len(header) else None
                found.append(Rejection(
                    source, kind.name, f"row {row}: '{quoted(formula)}' is a formula with no saved value "
                    "(open the workbook in Excel or WPS and save it, so that its values are stored)",
                    "formula_without_value", column, row=row, value=quoted(formula)))
    if len(found) > FINDINGS_PER_FILE:
        found = [*found[:FINDINGS_PER_FILE], replace(found[0], row=None, value=None,
                                                     reason=f"{len(found) - FINDINGS_PER_FILE} more formulas like "
                                                            f"row {found[0].row}'s")]
    return found
