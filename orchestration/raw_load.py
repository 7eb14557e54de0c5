"""Loading one fiscal year's raw files into the DuckDB `raw` schema, replacing that year.

Every kind's rows are first read into a temporary table and validated against the contract
(expectations/, Great Expectations). A file that breaks the contract is quarantined: its rows are
not loaded, the rows of its previous good version (if any) stay, and every violation is recorded
in raw._contract_findings with its file, row and column. The other files load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from orchestration.contract import Contract, FileKind
from orchestration.quality.contract_validation import Violation, validate_kind
from orchestration.raw_files import SOURCE_ROW_COLUMN, ReadableFile, YearFiles

FINDINGS_TABLE = "raw._contract_findings"
MANIFEST_TABLE = "raw._load_manifest"
CSV_OPTIONS = "all_varchar = true, header = true, union_by_name = true, delim = ',', quote = '\"', " \
              "escape = '\"', null_padding = true"

Validator = Callable[[str, pd.DataFrame, int], list[Violation]]


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _lit(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    con.execute("create schema if not exists raw")
    for kind in contract.kinds.values():
        cols = [f"{_q(c)} varchar" for c in kind.column_names]
        cols += ["_source_file varchar", "_source_row integer", "_partition_year integer",
                 "_loaded_at timestamp"]
        con.execute(f"create table if not exists raw.{_q(kind.name)} ({', '.join(cols)})")
    con.execute(f"""create table if not exists {FINDINGS_TABLE} (
        _partition_year integer, source_file varchar, kind varchar, source_row integer, source_column varchar,
        check_name varchar, value varchar, reason varchar, action varchar, _loaded_at timestamp)""")
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
        found = [f"nullif({_q(h)}, '')" for h in spellings[name]]
        expr = found[0] if len(found) == 1 else (f"coalesce({', '.join(found)})" if found else "null")
        exprs.append(f"{expr}::varchar as {_q(name)}")
    paths = ", ".join(_lit(str(f.csv_path)) for f in files)
    names = " ".join(f"when {_lit(str(f.csv_path))} then {_lit(f.source_file)}" for f in files)
    explicit_row = f"try_cast({_q(SOURCE_ROW_COLUMN)} as integer)" if SOURCE_ROW_COLUMN in present else "null"
    return f"""
        select {', '.join(exprs)},
               case filename {names} end as _source_file,
               coalesce({explicit_row},
                        (ordinality - min(ordinality) over (partition by filename) + 2)::integer) as _source_row,
               {year} as _partition_year,
               now()::timestamp as _loaded_at
        from read_csv([{paths}], {CSV_OPTIONS}, filename = true) with ordinality"""


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
    table = f"incoming_{kind.name}"
    paths = ", ".join(_lit(str(f.csv_path)) for f in files)
    present = {r[0] for r in con.execute(f"describe select * from read_csv([{paths}], {CSV_OPTIONS})").fetchall()}
    con.execute(f"create or replace temp table {table} as {_select_sql(kind, files, present, year)}")
    return table


def load_year(con: duckdb.DuckDBPyConnection, contract: Contract, year_files: YearFiles,
              validate: Validator = validate_kind) -> YearLoadResult:
    """Replace what the fiscal year holds with its files, keeping a quarantined file's previous version."""
    ensure_raw_schema(con, contract)
    year = year_files.year
    findings = [Violation(r.source_file, r.kind or "", None, r.column, r.check_name, None, r.reason)
                for r in year_files.rejections]
    quarantined = {r.source_file for r in year_files.rejections if r.quarantines}
    staged: dict[str, tuple[str, list[ReadableFile]]] = {}
    for kind_name, files in year_files.by_kind().items():
        table = _stage(con, contract.kinds[kind_name], files, year)
        staged[kind_name] = (table, files)
        violations = validate(kind_name, con.execute(f"select * from {table}").df(), year)
        findings += violations
        quarantined |= {v.source_file for v in violations}
    con.execute("create or replace temp table quarantined_files (source_file varchar)")
    if quarantined:
        con.executemany("insert into quarantined_files values (?)", [[f] for f in sorted(quarantined)])
    kept = {r[0] for r in con.execute(
        f"select source_file from {MANIFEST_TABLE} where _partition_year = ? "
        "and source_file in (select source_file from quarantined_files)", [year]).fetchall()}
    results = []
    con.execute("begin transaction")
    try:
        for kind_name in contract.kinds:
            con.execute(f"delete from raw.{_q(kind_name)} where _partition_year = ? "
                        "and _source_file not in (select source_file from quarantined_files)", [year])
            rejected = {r.source_file for r in year_files.rejections if r.kind == kind_name and r.quarantines}
            if kind_name not in staged:
                results.append(KindLoadResult(kind_name, 0, 0, tuple(sorted(rejected))))
                continue
            table, files = staged[kind_name]
            con.execute(f"insert into raw.{_q(kind_name)} select * from {table} "
                        "where _source_file not in (select source_file from quarantined_files)")
            counts = dict(con.execute(f"select _source_file, count(*) from {table} group by 1").fetchall())
            loaded = [f for f in files if f.source_file not in quarantined]
            for f in loaded:
                con.execute(f"delete from {MANIFEST_TABLE} where _partition_year = ? and source_file = ?",
                            [year, f.source_file])
                con.execute(f"insert into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, now())",
                            [year, f.source_file, kind_name, f.encoding, f.sha256, counts.get(f.source_file, 0)])
            bad = rejected | {f.source_file for f in files if f.source_file in quarantined}
            results.append(KindLoadResult(kind_name, len(loaded), sum(counts.get(f.source_file, 0) for f in loaded),
                                          tuple(sorted(bad))))
        current = {f.source_file for f in year_files.files} | {r.source_file for r in year_files.rejections}
        con.execute(f"delete from {MANIFEST_TABLE} where _partition_year = ? and source_file not in "
                    f"(select unnest(?::varchar[]))", [year, sorted(current)])
        con.execute(f"delete from {FINDINGS_TABLE} where _partition_year = ?", [year])
        for v in findings:
            if v.source_file in quarantined:
                action = "file quarantined; " + ("its previous version stays loaded" if v.source_file in kept
                                                 else "no previous version")
            else:
                action = "noted"
            con.execute(f"insert into {FINDINGS_TABLE} values (?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                        [year, v.source_file, v.kind or None, v.source_row, v.column, v.check_name, v.value,
                         v.reason, action])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        for table, _ in staged.values():
            con.execute(f"drop table if exists {table}")
    return YearLoadResult(results, findings, quarantined)
