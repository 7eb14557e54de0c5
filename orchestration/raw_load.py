"""Loading one fiscal year's raw files into the DuckDB `raw` schema, replacing that year."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from orchestration.contract import Contract, FileKind
from orchestration.raw_files import SOURCE_ROW_COLUMN, ReadableFile, YearFiles

REJECTIONS_TABLE = "raw._load_rejections"
MANIFEST_TABLE = "raw._load_manifest"


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
    con.execute(f"""create table if not exists {REJECTIONS_TABLE} (
        _partition_year integer, source_file varchar, kind varchar, reason varchar, _loaded_at timestamp)""")
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
        from read_csv([{paths}], all_varchar = true, header = true, union_by_name = true,
                      filename = true, delim = ',', quote = '"', escape = '"', null_padding = true)
             with ordinality"""


@dataclass(frozen=True)
class KindLoadResult:
    kind: str
    file_count: int
    row_count: int


def load_year(con: duckdb.DuckDBPyConnection, contract: Contract, year_files: YearFiles) -> list[KindLoadResult]:
    """Replace everything loaded for the fiscal year with the given files, in one transaction."""
    ensure_raw_schema(con, contract)
    year = year_files.year
    by_kind = year_files.by_kind()
    results = []
    con.execute("begin transaction")
    try:
        for table in [*(f"raw.{_q(k)}" for k in contract.kinds), REJECTIONS_TABLE, MANIFEST_TABLE]:
            con.execute(f"delete from {table} where _partition_year = ?", [year])
        for kind_name, kind in contract.kinds.items():
            files = by_kind.get(kind_name, [])
            if not files:
                results.append(KindLoadResult(kind_name, 0, 0))
                continue
            paths = ", ".join(_lit(str(f.csv_path)) for f in files)
            present = {r[0] for r in con.execute(
                f"describe select * from read_csv([{paths}], all_varchar = true, header = true, "
                f"union_by_name = true, delim = ',', quote = '\"', escape = '\"', null_padding = true)"
            ).fetchall()}
            con.execute(f"insert into raw.{_q(kind_name)} {_select_sql(kind, files, present, year)}")
            counts = dict(con.execute(
                f"select _source_file, count(*) from raw.{_q(kind_name)} where _partition_year = ? group by 1",
                [year]).fetchall())
            for f in files:
                con.execute(f"insert into {MANIFEST_TABLE} values (?, ?, ?, ?, ?, ?, now())",
                            [year, f.source_file, kind_name, f.encoding, f.sha256, counts.get(f.source_file, 0)])
            results.append(KindLoadResult(kind_name, len(files), sum(counts.values())))
        for r in year_files.rejections:
            con.execute(f"insert into {REJECTIONS_TABLE} values (?, ?, ?, ?, now())",
                        [year, r.source_file, r.kind, r.reason])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return results
