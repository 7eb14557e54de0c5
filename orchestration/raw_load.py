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
from orchestration.raw_files import SOURCE_ROW_COLUMN, ReadableFile, YearFiles
from orchestration.sql import sql_name, sql_text

FINDINGS_TABLE = "raw._contract_findings"
MANIFEST_TABLE = "raw._load_manifest"
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
    # A working database from before department_code was recorded gains the column (null on its old rows).
    con.execute(f"alter table {FINDINGS_TABLE} add column if not exists department_code varchar")
    con.execute(f"""create table if not exists {MANIFEST_TABLE} (
        _partition_year integer, source_file varchar, kind varchar, encoding varchar, sha256 varchar,
        row_count bigint, _loaded_at timestamp)""")


def _select_sql(kind: FileKind, files: list[ReadableFile], present: set[str], year: int) -> str:
    """SELECT mapping every accepted header spelling to the contract's column names."""
    spellings: dict[str, list[str]] = {name: [] for name in kind.column_names}
    for header, name in kind.header_aliases().items():
        if header in present and header not in spellings[name]:
            spellings[name].append(header)
    exprs = []
    for name in kind.column_names:
        found = [f"nullif({sql_name(h)}, '')" for h in spellings[name]]
        expr = found[0] if len(found) == 1 else (f"coalesce({', '.join(found)})" if found else "null")
        exprs.append(f"{expr}::varchar as {sql_name(name)}")
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


def _replace_rows(con: duckdb.DuckDBPyConnection, table: str, year: int, key: str | None, rows: pd.DataFrame) -> None:
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
        con.execute(f"insert into {table} ({columns}, _loaded_at) select {columns}, now() from incoming_rows")
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

    def kind(self, name: str) -> KindLoadResult:
        return next(k for k in self.kinds if k.kind == name)


def _stage(con: duckdb.DuckDBPyConnection, kind: FileKind, files: list[ReadableFile], year: int) -> str:
    """The kind's rows of the year in a temporary table: one read per distinct header, each mapped to the
    contract's columns."""
    table = f"incoming_{kind.name}"
    groups: dict[str, list[ReadableFile]] = {}
    for f in files:
        groups.setdefault(f.header, []).append(f)
    selects = []
    for group in groups.values():
        first = sql_text(str(group[0].csv_path))
        present = {r[0] for r in con.execute(f"describe select * from read_csv({first}, {CSV_OPTIONS})").fetchall()}
        selects.append(_select_sql(kind, group, present, year))
    con.execute(f"create or replace temp table {table} as {' union all '.join(selects)}")
    return table


def load_year(con: duckdb.DuckDBPyConnection, contract: Contract, year_files: YearFiles,
              validate: Validator = validate_kind) -> YearLoadResult:
    """Replace what the fiscal year holds with its files, keeping a quarantined file's previous version."""
    ensure_raw_schema(con, contract)
    year = year_files.year
    findings = [Violation(r.source_file, r.kind or "", None, r.column, r.check_name, None, r.reason)
                for r in year_files.rejections]
    # The department code a whole file states (where all its data rows state one), for its file-level findings.
    stated_by_file: dict[str, str | None] = {r.source_file: r.department_code for r in year_files.rejections}
    # (file, department): None quarantines the whole file.
    slices: set[tuple[str, str | None]] = {(r.source_file, None) for r in year_files.rejections if r.quarantines}
    department_of: dict[tuple[str, int], str | None] = {}
    staged: dict[str, tuple[str, list[ReadableFile]]] = {}
    for kind_name, files in year_files.by_kind().items():
        table = _stage(con, contract.kinds[kind_name], files, year)
        staged[kind_name] = (table, files)
        flagged = screened_slices(con, kind_name, table, year)
        if not flagged:
            continue
        frame = flagged_rows(con, table, flagged)
        violations = validate(kind_name, frame, year)
        consolidated = _files_of_many_departments(con, table, {f for f, _ in flagged})
        if violations:
            department_of.update(departments_by_row(frame))
        findings += violations
        stated_by_file.update(_stated_departments(con, table, contract.kinds[kind_name],
                                                  {v.source_file for v in violations if v.source_row is None}))
        for v in violations:
            department = department_of.get((v.source_file, v.source_row)) if v.source_row is not None else None
            slices.add((v.source_file, department if v.source_file in consolidated else None))
    slices = {(f, d) for f, d in slices if d is None or (f, None) not in slices}
    con.execute("create or replace temp table quarantined_slices (source_file varchar, department_code varchar)")
    if slices:
        con.executemany("insert into quarantined_slices values (?, ?)", [list(x) for x in sorted(slices, key=str)])
    quarantined = {f for f, _ in slices}
    whole_files = {f for f, d in slices if d is None}
    kept = {(r[0], r[1]) for kind_name in staged for r in con.execute(
        f"select distinct t._source_file, t.department_code from raw.{sql_name(kind_name)} as t "
        f"where t._partition_year = ? and {QUARANTINED.format(t='t')}", [year]).fetchall()}
    results = []
    con.execute("begin transaction")
    try:
        for kind_name in contract.kinds:
            con.execute(f"delete from raw.{sql_name(kind_name)} as t where t._partition_year = ? "
                        f"and not {QUARANTINED.format(t='t')}", [year])
            rejected = {r.source_file for r in year_files.rejections if r.kind == kind_name and r.quarantines}
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
        current = {f.source_file for f in year_files.files} | {r.source_file for r in year_files.rejections}
        con.execute(f"delete from {MANIFEST_TABLE} where _partition_year = ? and source_file not in "
                    f"(select unnest(?::varchar[]))", [year, sorted(current)])
        con.execute(f"delete from {FINDINGS_TABLE} where _partition_year = ?", [year])
        finding_rows = []
        for v in findings:
            department = department_of.get((v.source_file, v.source_row)) if v.source_row is not None else None
            if v.source_file in whole_files:
                previous = any(f == v.source_file for f, _ in kept)
                action = "file quarantined; " + ("its previous version stays loaded" if previous
                                                 else "no previous version")
            elif (v.source_file, department) in slices:
                previous = (v.source_file, department) in kept
                action = (f"rows of {department} in this file quarantined; "
                          + ("their previous version stays loaded" if previous else "no previous version"))
            else:
                action = "noted"
            stated = department if v.source_row is not None else stated_by_file.get(v.source_file)
            finding_rows.append((year, v.source_file, v.kind or None, stated, v.source_row, v.column, v.check_name,
                                 v.value, v.reason, action))
        _replace_rows(con, FINDINGS_TABLE, year, None, pd.DataFrame(finding_rows, columns=[
            "_partition_year", "source_file", "kind", "department_code", "source_row", "source_column", "check_name",
            "value", "reason", "action"]))
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for table, _ in staged.values():
            con.execute(f"drop table if exists {table}")
    return YearLoadResult(results, findings, quarantined)
