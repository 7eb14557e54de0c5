"""Loading one fiscal year's raw files into the DuckDB `raw` schema, replacing that year.

Every kind's rows are first read into a temporary table and validated against the contract
(expectations/): the suite compiled to SQL screens every row in DuckDB, and Great Expectations
validates the rows of the (file, department) slices the screen flags and names their violations.
What breaks the contract is quarantined: its rows are not loaded, the rows of its previous good
version (if any) stay, and every violation is recorded in raw._contract_findings with its file,
row and column, and the department code its row states (for a violation of a whole file, the one
code all the file's rows state, if they do). The unit of quarantine is the file; in a file holding
many departments (a finance bureau's consolidated export) a bad row quarantines that department's
rows of the file only, so that one department's error does not hide the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from orchestration.contract import Contract, FileKind
from orchestration.quality.contract_validation import (
    Violation,
    departments_by_row,
    screened_slices,
    validate_kind,
)
from orchestration.raw_files import SOURCE_ROW_COLUMN, ReadableFile, Rejection, YearFiles, quoted
from orchestration.refresh_scope import ensure_scope_tables, fingerprint, record_changes
from orchestration.sql import sql_name, sql_text, table_exists

FINDINGS_TABLE = "raw._contract_findings"
MANIFEST_TABLE = "raw._load_manifest"
REMOVALS_TABLE = "raw._removals"
# Checks whose findings inform without asking anything of the sender.
INFO_CHECKS = {"source_removed"}
CSV_OPTIONS = "all_varchar = true, header = true, delim = ',', quote = '\"', escape = '\"', null_padding = true"

Validator = Callable[[str, pd.DataFrame, int], list[Violation]]
# Whether a row of table alias {t} lies in a quarantined file, or in a quarantined department's rows of a file.
QUARANTINED = ("exists (select 1 from quarantined_slices as q where q.source_file = {t}._source_file "
               "and (q.department_code is null or q.department_code = {t}.department_code))")


def flagged_rows(con: duckdb.DuckDBPyConnection, table: str, slices: set[tuple[str, str | None]]) -> pd.DataFrame:
    """The staged rows of the flagged (file, department) slices, in file and row order: what GX validates."""
    con.execute("create or replace temp table flagged_slices (source_file varchar, department_code varchar)")
    con.executemany("insert into flagged_slices values (?, ?)", [list(x) for x in sorted(slices, key=str)])
    return con.execute(f"""
        select t.* from {table} as t
        where exists (select 1 from flagged_slices as s where s.source_file = t._source_file
                      and s.department_code is not distinct from t.department_code)
        order by t._source_file, t._source_row""").df()


def _files_of_many_departments(con: duckdb.DuckDBPyConnection, table: str, files: set[str]) -> set[str]:
    return {r[0] for r in con.execute(
        f"select _source_file from {table} where _source_file in (select unnest(?::varchar[])) "
        "group by 1 having count(distinct department_code) > 1", [sorted(files)]).fetchall()}


def _stated_departments(con: duckdb.DuckDBPyConnection, table: str, kind: FileKind,
                        files: set[str]) -> dict[str, str]:
    """The department code of each of these staged files whose data rows all state the same one."""
    if not files:
        return {}
    # A row of empty cells only (a line of commas) is no data row.
    data_row = f"coalesce({', '.join(sql_name(c) for c in kind.column_names)}) is not null"
    return dict(con.execute(
        f"select _source_file, min(department_code) from {table} "
        f"where _source_file in (select unnest(?::varchar[])) and {data_row} group by 1 "
        "having count(nullif(trim(department_code), '')) = count(*) and count(distinct department_code) = 1",
        [sorted(files)]).fetchall())


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute("create schema if not exists raw")
    for kind in contract.kinds.values():
        cols = [f"{sql_name(c)} varchar" for c in kind.column_names]
        cols += ["_source_file varchar", "_source_row integer", "_partition_year integer",
                 "_loaded_at timestamp"]
        con.execute(f"create table if not exists raw.{sql_name(kind.name)} ({', '.join(cols)})")
    con.execute(f"""create table if not exists {FINDINGS_TABLE} (
        _partition_year integer, source_file varchar, kind varchar, source_row integer, source_column varchar,
        check_name varchar, value varchar, reason varchar, action varchar, _loaded_at timestamp,
        department_code varchar)""")
    # A working database from before these columns were recorded gains them (null on its old rows).
    con.execute(f"alter table {FINDINGS_TABLE} add column if not exists department_code varchar")
    con.execute(f"alter table {FINDINGS_TABLE} add column if not exists severity varchar")
    con.execute(f"""create table if not exists {REMOVALS_TABLE} (
        _partition_year integer, source_file varchar, kind varchar, department_code varchar, rows_removed bigint,
        reason varchar, removed_at timestamp)""")
    ensure_scope_tables(con)
    con.execute(f"""create table if not exists {MANIFEST_TABLE} (
        _partition_year integer, source_file varchar, kind varchar, encoding varchar, sha256 varchar,
        row_count bigint, _loaded_at timestamp)""")


def _select_sql(kind: FileKind, files: list[ReadableFile], present: set[str], year: int) -> str:
    """SELECT mapping every accepted header spelling (spaces around it allowed) to the contract's column
    names. A file giving one column under two headers never gets here (raw_files.header_findings)."""
    aliases = kind.header_aliases()
    spelling: dict[str, str] = {}
    for header in sorted(present):
        if (name := aliases.get(header.strip())) is not None:
            spelling.setdefault(name, header)
    exprs = [f"nullif({sql_name(spelling[name])}, '')::varchar as {sql_name(name)}" if name in spelling
             else f"null::varchar as {sql_name(name)}" for name in kind.column_names]
    paths = ", ".join(sql_text(str(f.csv_path)) for f in files)
    names = " ".join(f"when {sql_text(str(f.csv_path))} then {sql_text(f.source_file)}" for f in files)
    explicit_row = f"try_cast({sql_name(SOURCE_ROW_COLUMN)} as integer)" if SOURCE_ROW_COLUMN in present else "null"
    return f"""
        select {', '.join(exprs)},
               case filename {names} end as _source_file,
               coalesce({explicit_row},
                        (ordinality - min(ordinality) over (partition by filename) + 2)::integer) as _source_row,
               {year} as _partition_year,
               now()::timestamp as _loaded_at
        from read_csv([{paths}], {CSV_OPTIONS}, filename = true) with ordinality"""


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, year: int | None, key: str | None, rows: pd.DataFrame,
                  stamp: str = "_loaded_at") -> None:
    """Insert the rows (stamped now), first deleting the year's rows with the same key, in two statements."""
    if rows.empty:
        return
    rows = rows.astype(object).where(rows.notna(), None)
    con.register("incoming_rows", rows)
    try:
        if key is not None:
            con.execute(f"delete from {table} where _partition_year = ? and {key} in "
                        f"(select {key} from incoming_rows)", [year])
        columns = ", ".join(rows.columns)
        con.execute(f"insert into {table} ({columns}, {stamp}) select {columns}, now() from incoming_rows")
    finally:
        con.unregister("incoming_rows")


@dataclass(frozen=True)
class KindLoadResult:
    kind: str
    file_count: int
    row_count: int
    quarantined: tuple[str, ...] = ()


@dataclass
class YearLoadResult:
    kinds: list[KindLoadResult]
    findings: list[Violation] = field(default_factory=list)
    quarantined: set[str] = field(default_factory=set)
    # The departments whose rows or findings the load changed (None in it: rows naming none); None: most
    # of the year's, which a build rewrites whole (orchestration/refresh_scope.py).
    changed_departments: list[str | None] | None = None

    def kind(self, name: str) -> KindLoadResult:
        return next(k for k in self.kinds if k.kind == name)


def _stage(con: duckdb.DuckDBPyConnection, kind: FileKind, files: list[ReadableFile],
           year: int) -> tuple[str, list[ReadableFile], list[Rejection]]:
    """The kind's rows of the year in a temporary table: one read per distinct header, each mapped to the
    contract's columns. A group DuckDB cannot read together is read file by file, and a file it cannot
    read is quarantined: one file never stops the others."""
    table = f"incoming_{kind.name}"
    columns = ", ".join(f"{sql_name(c)} varchar" for c in kind.column_names)
    con.execute(f"create or replace temp table {table} ({columns}, _source_file varchar, _source_row integer, "
                "_partition_year integer, _loaded_at timestamp)")
    groups: dict[str, list[ReadableFile]] = {}
    for f in files:
        groups.setdefault(f.header, []).append(f)
    staged: list[ReadableFile] = []
    failed: list[Rejection] = []
    for group in groups.values():
        for attempt in ([group] if len(group) == 1 else [group, *[[f] for f in group]]):
            try:
                first = sql_text(str(attempt[0].csv_path))
                present = {r[0] for r in con.execute(
                    f"describe select * from read_csv({first}, {CSV_OPTIONS})").fetchall()}
                con.execute(f"insert into {table} {_select_sql(kind, attempt, present, year)}")
                staged += attempt
                if len(attempt) == len(group):
                    break  # the whole group read together
            except duckdb.Error as exc:
                if len(attempt) == 1:
                    detail = str(exc).strip().splitlines()[0]
                    failed.append(Rejection(attempt[0].source_file, kind.name,
                                            f"DuckDB cannot read it as CSV: {quoted(detail)}", "csv_format"))
    return table, staged, failed


def _removed_sources(con: duckdb.DuckDBPyConnection, contract: Contract, year: int,
                     current: set[str]) -> list[tuple[str, str, str | None, int]]:
    """The files (or sheets) whose rows the year holds but which are no longer under data/raw:
    (source file, kind, the one department code its rows state or None, rows)."""
    removed = []
    for kind_name in contract.kinds:
        removed += [(r[0], kind_name, r[1], r[2]) for r in con.execute(
            f"select _source_file, case when count(distinct department_code) = 1 then min(department_code) end, "
            f"count(*) from raw.{sql_name(kind_name)} where _partition_year = ? "
            "and _source_file not in (select unnest(?::varchar[])) group by 1 order by 1",
            [year, sorted(current)]).fetchall()]
    return removed


def load_year(con: duckdb.DuckDBPyConnection, contract: Contract, year_files: YearFiles,
              validate: Validator = validate_kind, year_folder_present: bool = True,
              recorded: Callable[[duckdb.DuckDBPyConnection], None] | None = None) -> YearLoadResult:
    """Replace what the fiscal year holds with its files, keeping a quarantined file's previous version.
    What the year held from files no longer on disk is removed, and each removal recorded."""
    ensure_raw_schema(con, contract)
    year = year_files.year
    rejections = list(year_files.rejections)
    department_of: dict[tuple[str, int], str | None] = {}
    staged: dict[str, tuple[str, list[ReadableFile]]] = {}
    gx_findings: list[Violation] = []
    consolidated: set[str] = set()
    flagged_by_gx: set[tuple[str, str | None]] = set()
    stated_by_file: dict[str, str | None] = {}
    for kind_name, files in year_files.by_kind().items():
        table, loaded, failed = _stage(con, contract.kinds[kind_name], files, year)
        rejections += failed
        staged[kind_name] = (table, loaded)
        flagged = screened_slices(con, kind_name, table, year)
        if not flagged:
            continue
        frame = flagged_rows(con, table, flagged)
        violations = validate(kind_name, frame, year)
        consolidated |= _files_of_many_departments(con, table, {f for f, _ in flagged})
        if violations:
            department_of.update(departments_by_row(frame))
        gx_findings += violations
        stated_by_file.update(_stated_departments(con, table, contract.kinds[kind_name],
                                                  {v.source_file for v in violations if v.source_row is None}))
        for v in violations:
            department = department_of.get((v.source_file, v.source_row)) if v.source_row is not None else None
            flagged_by_gx.add((v.source_file, department if v.source_file in consolidated else None))
    # (file, department): None quarantines the whole file.
    slices = flagged_by_gx | {(r.source_file, None) for r in rejections if r.quarantines}
    slices = {(f, d) for f, d in slices if d is None or (f, None) not in slices}
    # Every finding with the department code its row (or, for a whole file, all its rows) states.
    findings: list[tuple[Violation, str | None]] = [
        (Violation(r.source_file, r.kind or "", r.row, r.column, r.check_name, r.value, r.reason), r.department_code)
        for r in rejections]
    findings += [(v, department_of.get((v.source_file, v.source_row)) if v.source_row is not None
                  else stated_by_file.get(v.source_file)) for v in gx_findings]
    con.execute("create or replace temp table quarantined_slices (source_file varchar, department_code varchar)")
    if slices:
        con.executemany("insert into quarantined_slices values (?, ?)", [list(x) for x in sorted(slices, key=str)])
    quarantined = {f for f, _ in slices}
    whole_files = {f for f, d in slices if d is None}
    kept = {(r[0], r[1]) for kind_name in staged for r in con.execute(
        f"select distinct t._source_file, t.department_code from raw.{sql_name(kind_name)} as t "
        f"where t._partition_year = ? and {QUARANTINED.format(t='t')}", [year]).fetchall()}
    current = {f.source_file for f in year_files.files} | {r.source_file for r in rejections}
    removed = _removed_sources(con, contract, year, current)
    why_gone = "no longer in data/raw" if year_folder_present else f"the year folder {year} is no longer in data/raw"
    for source, kind_name, department, rows in removed:
        findings.append((Violation(source, kind_name, None, None, "source_removed", None,
                                   f"{why_gone}: its {rows} rows were removed"), department))
    results = []
    # Which departments the load changes (orchestration/refresh_scope.py): their rows before and after.
    fingerprint(con, contract, year, FINDINGS_TABLE, "fingerprint_before")
    con.execute("begin transaction")
    try:
        for kind_name in contract.kinds:
            con.execute(f"delete from raw.{sql_name(kind_name)} as t where t._partition_year = ? "
                        f"and not {QUARANTINED.format(t='t')}", [year])
            rejected = {r.source_file for r in rejections if r.kind == kind_name and r.quarantines}
            if kind_name not in staged:
                results.append(KindLoadResult(kind_name, 0, 0, tuple(sorted(rejected))))
                continue
            table, files = staged[kind_name]
            con.execute(f"insert into raw.{sql_name(kind_name)} select * from {table} as t "
                        f"where not {QUARANTINED.format(t='t')}")
            counts = dict(con.execute(f"select _source_file, count(*) from {table} as t "
                                      f"where not {QUARANTINED.format(t='t')} group by 1").fetchall())
            loaded = [f for f in files if f.source_file not in whole_files and counts.get(f.source_file)]
            _replace_rows(con, MANIFEST_TABLE, year, "source_file", pd.DataFrame(
                [(year, f.source_file, kind_name, f.encoding, f.sha256, counts.get(f.source_file, 0)) for f in loaded],
                columns=["_partition_year", "source_file", "kind", "encoding", "sha256", "row_count"]))
            bad = rejected | {f.source_file for f in files if f.source_file in quarantined}
            results.append(KindLoadResult(kind_name, len(loaded), sum(counts.get(f.source_file, 0) for f in loaded),
                                          tuple(sorted(bad))))
        con.execute(f"delete from {MANIFEST_TABLE} where _partition_year = ? and source_file not in "
                    f"(select unnest(?::varchar[]))", [year, sorted(current)])
        if removed:
            _replace_rows(con, REMOVALS_TABLE, year, None, pd.DataFrame(
                [(year, source, kind_name, department, rows, why_gone)
                 for source, kind_name, department, rows in removed],
                columns=["_partition_year", "source_file", "kind", "department_code", "rows_removed", "reason"]
            ), stamp="removed_at")
        con.execute(f"delete from {FINDINGS_TABLE} where _partition_year = ?", [year])
        finding_rows = []
        for v, department in findings:
            if v.source_file in whole_files:
                previous = any(f == v.source_file for f, _ in kept)
                action = "file quarantined; " + ("its previous version stays loaded" if previous
                                                 else "no previous version")
            elif (v.source_file, department) in slices:
                previous = (v.source_file, department) in kept
                action = (f"rows of {department} in this file quarantined; "
                          + ("their previous version stays loaded" if previous else "no previous version"))
            else:
                action = "rows removed" if v.check_name == "source_removed" else "noted"
            severity = ("error" if "quarantined" in action else "info" if v.check_name in INFO_CHECKS
                        else "warning")
            finding_rows.append((year, v.source_file, v.kind or None, department, v.source_row, v.column,
                                 v.check_name, v.value, v.reason, action, severity))
        _replace_rows(con, FINDINGS_TABLE, year, None, pd.DataFrame(finding_rows, columns=[
            "_partition_year", "source_file", "kind", "department_code", "source_row", "source_column", "check_name",
            "value", "reason", "action", "severity"]))
        fingerprint(con, contract, year, FINDINGS_TABLE, "fingerprint_after")
        changed = record_changes(con, year, "fingerprint_before", "fingerprint_after")
        if recorded is not None:  # what else the load records in its transaction (orchestration/unchanged_years.py)
            recorded(con)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for table in [t for t, _ in staged.values()] + ["fingerprint_before", "fingerprint_after"]:
            con.execute(f"drop table if exists {table}")
    return YearLoadResult(results, [v for v, _ in findings], quarantined, changed)


def record_unplaced(con: duckdb.DuckDBPyConnection, contract: Contract, strays: list[Rejection]) -> None:
    """Replace the findings that belong to no fiscal year (what the raw folder holds beside its year
    folders): they are rewritten by every load."""
    ensure_raw_schema(con, contract)
    con.execute(f"delete from {FINDINGS_TABLE} where _partition_year is null")
    _replace_rows(con, FINDINGS_TABLE, None, None, pd.DataFrame(
        [(None, r.source_file, r.kind, None, r.row, r.column, r.check_name, r.value, r.reason,
          "file quarantined; no previous version" if r.quarantines else "noted",
          "error" if r.quarantines else "warning") for r in strays],
        columns=["_partition_year", "source_file", "kind", "department_code", "source_row", "source_column",
                 "check_name", "value", "reason", "action", "severity"]))


def loaded_years(con: duckdb.DuckDBPyConnection) -> list[int]:
    """The fiscal years the working database holds rows or findings of."""
    if not table_exists(con, *MANIFEST_TABLE.split(".")):
        return []
    return [r[0] for r in con.execute(
        f"select _partition_year from {MANIFEST_TABLE} union select _partition_year from {FINDINGS_TABLE} "
        "where _partition_year is not null order by 1").fetchall() if r[0] is not None]
