"""The marts as Parquet files (data/marts/parquet/), partitioned by fiscal year the way Hive, Spark, Trino and
DuckDB read a folder: `<mart>/fiscal_year=<year>/data.parquet`, and `<mart>/data.parquet` for a mart across
years (or one without rows). Read a mart whole with `read_parquet('parquet/<mart>/**/*.parquet')`.

Each file keeps every column, fiscal_year too (a file read alone still says its year; read through the folder
names, engines take the year from them and skip the years a query leaves out), holds its rows in a fixed
order, and carries as key-value metadata the id of the publication that wrote it and the mart's data
dictionary. A publication of some years writes the files of the years whose rows it replaced, and links the
others from the previous publication's folder (published files are never written after their swap): one
department's change rewrites one year of the marts it reached, not every mart whole.

`_publication.json`, written last (its presence says the folder is complete), names the publication, each
mart's row count, and each file with its rows and the publication that wrote it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb

from orchestration.dictionary import kv_metadata_sql, parquet_metadata
from orchestration.file_links import hard_link
from orchestration.sql import limit_memory, sql_name, sql_text

MANIFEST = "_publication.json"
DATA_FILE = "data.parquet"
# The folder of a year's rows without a fiscal year (findings about the raw folder itself): Hive's name for a
# NULL partition value, which DuckDB and Spark read as NULL.
NULL_YEAR = "__HIVE_DEFAULT_PARTITION__"


def _year_files(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str, int | None]]:
    """(file relative to the folder, the rows' condition, fiscal year) of each file a mart is written as; a
    mart without years (or rows) is one file, whose condition is "true"."""
    has_year = con.execute("select count(*) from duckdb_columns() where schema_name = 'marts' and table_name = ? "
                           "and column_name = 'fiscal_year'", [table]).fetchone()[0]
    years = [r[0] for r in con.execute(f"select distinct fiscal_year from marts.{sql_name(table)} "
                                       "order by 1 nulls last").fetchall()] if has_year else []
    if not years:
        return [(f"{table}/{DATA_FILE}", "true", None)]
    return [(f"{table}/fiscal_year={NULL_YEAR if y is None else y}/{DATA_FILE}",
             "fiscal_year is null" if y is None else f"fiscal_year = {int(y)}", y) for y in years]


def read_manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def write_parquet(db: Path, folder: Path, marts: list[str], publication_id: str, previous: Path | None = None,
                  written_years: dict[str, list[int | None] | None] | None = None,
                  base_publication: str | None = None) -> dict[str, int]:
    """Each mart of the published database `db` into `folder` (which must not exist); returns the row counts.
    With `previous` (the previous publication's folder, complete and of the publication `base_publication`
    that the database was patched from) and `written_years` (per mart, the fiscal years whose rows the
    database's publication replaced; None: every row), a file whose rows were not replaced is linked from
    `previous`, not written again. A database written whole has no `base_publication`: every file is written."""
    folder.mkdir(parents=True)
    before = read_manifest(previous) if previous is not None else None
    if not before or base_publication is None or before.get("publication_id") != base_publication \
            or written_years is None:
        before = None
    reused = before.get("files", {}) if before else {}
    files: dict[str, dict] = {}
    counts: dict[str, int] = {}
    con = limit_memory(duckdb.connect(str(db), read_only=True))
    try:
        for table in marts:
            written = written_years.get(table) if written_years is not None else None
            metadata = kv_metadata_sql({"publication_id": publication_id, **parquet_metadata(con, "marts", table)})
            for relative, condition, year in _year_files(con, table):
                (folder / relative).parent.mkdir(parents=True, exist_ok=True)
                # A year's file is unchanged when the database's publication did not write that year; a mart's
                # only file, when it wrote none of its rows.
                one_file = condition == "true"
                unchanged = written is not None and (not written if one_file else year not in written)
                if unchanged and relative in reused and hard_link(previous / relative, folder / relative):
                    files[relative] = reused[relative]
                    continue
                rows = con.execute(f"copy (select * from marts.{sql_name(table)} where {condition} order by all) "
                                   f"to {sql_text(folder / relative)} (format parquet, kv_metadata {metadata})"
                                   ).fetchone()[0]
                files[relative] = {"rows": rows, "publication_id": publication_id}
            counts[table] = con.execute(f"select count(*) from marts.{sql_name(table)}").fetchone()[0]
    finally:
        con.close()
    manifest = {"publication_id": publication_id, "tables": counts, "files": files,
                "previous": previous.name if previous is not None else None}
    partial = folder / f".{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, folder / MANIFEST)
    return counts


def files_not_matching(folder: Path, manifest: dict) -> list[str]:
    """The files the manifest names that are missing or whose key-value metadata names another publication
    than the one the manifest says wrote them."""
    files: dict[str, dict] = manifest.get("files", {})
    present = [name for name in files if (folder / name).exists()]
    found: dict[str, str] = {}
    if present:
        con = duckdb.connect()
        try:
            rows = con.execute("select file_name, decode(value) from parquet_kv_metadata(?) "
                               "where decode(key) = 'publication_id'", [[str(folder / n) for n in present]]).fetchall()
        finally:
            con.close()
        by_path = {str(folder / n): n for n in present}
        found = {by_path[path]: value for path, value in rows if path in by_path}
    return sorted(name for name, entry in files.items() if found.get(name) != entry.get("publication_id"))
