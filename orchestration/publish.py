"""Publishing the marts: build a new DuckDB file beside the published one, then swap it in.

An analyst holding the published file open (even read-only, which takes a lock) never blocks a
refresh: the new file is written under another name and `os.replace`d over the old one. Open
sessions keep reading the old snapshot (their file handle still points at it); new sessions see
the new file. Any failure before the swap leaves the published file untouched.
"""

from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.contract import load_contract
from orchestration.quality import report as quality_report
from orchestration.sql import sql_name

PUBLISHED_NAME = "warehouse.duckdb"
REPORT_NAME = "data_quality_report.html"
PARQUET_LINK = "parquet"
PARQUET_VERSIONS_KEPT = 2
# Lineage tables copied from the working database beside the marts.
META_TABLES = {
    "source_files": "raw._load_manifest", "contract_findings": "raw._contract_findings",
    "rule_sets": "reference.rule_sets", "rule_set_items": "reference.rule_set_items",
}


@dataclass(frozen=True)
class PublishResult:
    published_db: Path
    parquet_dir: Path
    row_counts: dict[str, int]
    report: Path
    findings_by_severity: dict[str, int]


def _has_fiscal_year(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("select count(*) from duckdb_columns() where database_name = 'work' and schema_name = "
                            "'marts' and table_name = ? and column_name = 'fiscal_year'", [table]).fetchone()[0])


MART_COLUMNS = ("select table_name, column_name, data_type, column_index from duckdb_columns() "
                "where database_name = ? and schema_name = 'marts'")


def _same_layout(con: duckdb.DuckDBPyConnection, marts: list[str]) -> bool:
    """Whether the published copy (the current database) holds these marts, with the working
    database's columns and types, under the same contract version."""
    published = con.execute("select current_database()").fetchone()[0]
    stated = con.execute("select tables, contract_version from meta.refresh").fetchone()
    return (stated == (",".join(marts), load_contract().version)
            and set(con.execute(MART_COLUMNS, [published]).fetchall()) == set(
                con.execute(MART_COLUMNS + " and table_name in (select unnest(?::varchar[]))",
                            ["work", marts]).fetchall()))


def _copy_marts(con: duckdb.DuckDBPyConnection, marts: list[str], years: list[int] | None) -> dict[str, int]:
    """Create the marts from the working database (years None), or replace the rows of those years."""
    counts = {}
    year_list = ", ".join(str(int(y)) for y in years or [])
    for table in marts:
        source = f"work.marts.{sql_name(table)}"
        if years is None:
            con.execute(f"create table marts.{sql_name(table)} as select * from {source}")
        elif _has_fiscal_year(con, table):
            con.execute(f"delete from marts.{sql_name(table)} where fiscal_year in ({year_list})")
            con.execute(f"insert into marts.{sql_name(table)} select * from {source} "
                        f"where fiscal_year in ({year_list})")
        else:  # a mart across years (trends): replaced whole
            con.execute(f"delete from marts.{sql_name(table)}")
            con.execute(f"insert into marts.{sql_name(table)} select * from {source}")
        counts[table] = con.execute(f"select count(*) from marts.{sql_name(table)}").fetchone()[0]
    return counts


def _write_database(target: Path, work_db: Path, marts: list[str], run_id: str,
                    years: list[int] | None = None, previous: Path | None = None) -> dict[str, int]:
    """Write the marts into a new database file. With `years` and the previous published file (never
    written after its publication), start from a copy of it and replace the rows of those years only,
    unless the marts' layout changed since: then every row is copied."""
    copied = years is not None and previous is not None and previous.exists()
    if copied:
        shutil.copyfile(previous, target)
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{work_db}' as work (read_only)")
        if years is not None and not (copied and _same_layout(con, marts)):
            years = None
            con.execute("drop schema if exists marts cascade")
        con.execute("begin transaction")
        con.execute("create schema if not exists marts")
        counts = _copy_marts(con, marts, years)
        # Lineage and reference tables are small: always copied whole.
        for schema in ("meta", "reference"):
            con.execute(f"drop schema if exists {schema} cascade")
            con.execute(f"create schema {schema}")
        for name, source in META_TABLES.items():
            con.execute(f"create table meta.{name} as select * from work.{source}")
        # The reference tables (units, keyword lists, bands) the checks' SQL reads, so that it runs here too.
        for (table,) in con.execute("select table_name from duckdb_tables() where database_name = 'work' and "
                                    "schema_name = 'reference' and table_name not like 'rule_set%'").fetchall():
            con.execute(f"create table reference.{sql_name(table)} as select * from work.reference.{sql_name(table)}")
        con.execute(
            "create table meta.refresh as select ?::timestamp as published_at, ? as run_id, "
            "?::integer as contract_version, ? as tables, ? as fiscal_years",
            [datetime.now(UTC).replace(tzinfo=None), run_id, load_contract().version, ",".join(marts),
             "all" if years is None else ",".join(str(y) for y in years)],
        )
        con.execute("commit")
        con.execute("detach work")
        con.execute("checkpoint")
        return counts
    finally:
        con.close()


def _write_parquet(db: Path, folder: Path, marts: list[str]) -> None:
    folder.mkdir(parents=True)
    con = duckdb.connect(str(db), read_only=True)
    try:
        for table in marts:
            con.execute(f"copy marts.{sql_name(table)} to '{folder / (table + '.parquet')}' (format parquet)")
    finally:
        con.close()


def _swap_parquet(publish_dir: Path, new_version: Path) -> Path:
    """Point publish_dir/parquet at the new version with one atomic rename of a symlink."""
    link = publish_dir / PARQUET_LINK
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    tmp_link = publish_dir / f".{PARQUET_LINK}.link-{new_version.name}"
    tmp_link.symlink_to(new_version.name)
    os.replace(tmp_link, link)
    versions = sorted(publish_dir.glob(f".{PARQUET_LINK}-*"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in versions[PARQUET_VERSIONS_KEPT:]:
        if old != new_version:
            shutil.rmtree(old, ignore_errors=True)
    return link


def _write_report(db: Path, target: Path) -> dict[str, int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = quality_report.findings(con)
    finally:
        con.close()
    target.write_text(quality_report.render(rows), encoding="utf-8")
    return quality_report.severity_counts(rows)


def publish_marts(work_db: Path, publish_dir: Path, marts: list[str], run_id: str = "",
                  years: list[int] | None = None) -> PublishResult:
    """Publish the marts of the working database; with `years`, only the rows of those fiscal years
    changed since the last publication (see _write_database)."""
    publish_dir.mkdir(parents=True, exist_ok=True)
    token = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    building = publish_dir / f".{PUBLISHED_NAME}.building-{token}"
    report_building = publish_dir / f".{REPORT_NAME}.building-{token}"
    parquet_version = publish_dir / f".{PARQUET_LINK}-{token}"
    try:
        counts = _write_database(building, work_db, marts, run_id, years, publish_dir / PUBLISHED_NAME)
        _write_parquet(building, parquet_version, marts)
        severities = _write_report(building, report_building)
        published = publish_dir / PUBLISHED_NAME
        os.replace(building, published)
        os.replace(report_building, publish_dir / REPORT_NAME)
        link = _swap_parquet(publish_dir, parquet_version)
    except BaseException:
        for leftover in (building, Path(str(building) + ".wal"), report_building):
            leftover.unlink(missing_ok=True)
        if not (publish_dir / PARQUET_LINK).resolve() == parquet_version.resolve():
            shutil.rmtree(parquet_version, ignore_errors=True)
        raise
    return PublishResult(published, link, counts, publish_dir / REPORT_NAME, severities)
