"""Publishing the marts: build a new DuckDB file beside the published one, then swap it in.

An analyst holding the published file open (even read-only, which takes a lock) never blocks a
refresh: the new file is written under another name and `os.replace`d over the old one. Open
sessions keep reading the old snapshot (their file handle still points at it); new sessions see
the new file. Any failure before the swap leaves the published file untouched.

One publication, one id. The marts are written, in this order:
1. as the new DuckDB file (_write_database): whole, or, for a refresh of some years, as a copy of the
   previous publication's file with the slices of those years that changed replaced;
2. as Parquet into a new version folder `.parquet-<id>/` (orchestration/parquet_export.py: a file per mart
   and fiscal year, those of unchanged years linked from the previous folder), `_publication.json` written
   last: its presence says the folder is complete; then the DuckDB file, whose meta.refresh names the id
   and that folder, is swapped in with `os.replace`;
3. the `parquet` symlink re-pointed at the folder (an atomic rename of a new link), the same for the
   `xlsx` link and its folder `.xlsx-<id>/` (the Excel workbooks), then the report and the dashboard.
A process killed between 2 and 3 leaves a DuckDB file naming a folder the link does not point to:
the next publication first completes that swap, then removes what dead builds left behind.
`publication_status` tells whether the DuckDB file and the Parquet folder agree.
"""

from __future__ import annotations

import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration import fault_points
from orchestration.contract import load_contract
from orchestration.dashboard import write_dashboard
from orchestration.dictionary import write_dictionary
from orchestration.excel_export import write_workbooks
from orchestration.parquet_export import files_not_matching, read_manifest, write_parquet
from orchestration.quality import report as quality_report
from orchestration.refresh_lock import refresh_lock
from orchestration.settings import report_max_findings, xlsx_max_rows
from orchestration.sql import limit_memory, sql_name, sql_text

PUBLISHED_NAME = "warehouse.duckdb"
# The published file is written in the storage format of DuckDB 1.4, so that the tools analysts have
# (the DuckDB command line of `make sql`, DBeaver's driver, an older Python package) can open it; the
# working database keeps the current format.
PUBLISHED_STORAGE_VERSION = "v1.4.0"
# The previous publication, attached while the next one is written; the file being written (whole or a
# patched copy of the previous one).
PREVIOUS = "previous"
BUILDING = "publication"
# The columns by which a publication of some years replaces a mart's rows: one department's year.
SLICE_KEYS = ("fiscal_year", "department_code")
# A copy of the previous publication is patched while it is at most this many times the size it had when
# last written whole, plus the slack (each patch writes the small lineage and reference tables again: a few
# blocks, reused by the next); beyond, the file is written anew (and compact).
PATCH_GROWTH = 1.5
PATCH_SLACK_BYTES = 32 * 2**20
REPORT_NAME = "data_quality_report.html"
DASHBOARD_NAME = "dashboard.html"
PARQUET_LINK = "parquet"
XLSX_LINK = "xlsx"
# Files a build writes before its swaps; a process killed mid-build leaves them behind.
BUILD_DEBRIS = (f".{PUBLISHED_NAME}.building-*", f".{REPORT_NAME}.building-*", f".{DASHBOARD_NAME}.building-*",
                f".{PARQUET_LINK}.link-*", f".{XLSX_LINK}.link-*")
# Pages written beside the DuckDB file at each publication, swapped in after it.
PAGES = (REPORT_NAME, DASHBOARD_NAME)
# Lineage tables copied from the working database beside the marts.
META_TABLES = {
    "source_files": "raw._load_manifest", "contract_findings": "raw._contract_findings", "removals": "raw._removals",
}


@dataclass(frozen=True)
class PublishResult:
    publication_id: str
    published_db: Path
    parquet_dir: Path
    row_counts: dict[str, int]
    report: Path
    findings_by_severity: dict[str, int]


MART_COLUMNS = ("select table_name, column_name, data_type, column_index from duckdb_columns() "
                "where database_name = ? and schema_name = 'marts'")


def _same_layout(con: duckdb.DuckDBPyConnection, marts: list[str], published: str = PREVIOUS) -> bool:
    """Whether the previous publication (attached as `published`) holds these marts, with the working
    database's columns and types, under the same contract version."""
    stated = con.execute(f"select tables, contract_version from {published}.meta.refresh").fetchone()
    return (stated == (",".join(marts), load_contract().version)
            and set(con.execute(MART_COLUMNS, [published]).fetchall()) == set(
                con.execute(MART_COLUMNS + " and table_name in (select unnest(?::varchar[]))",
                            ["work", marts]).fetchall()))


def _years_in(con: duckdb.DuckDBPyConnection, database: str) -> set[int]:
    """The fiscal years the marts of an attached database hold rows of."""
    tables = [r[0] for r in con.execute(
        "select table_name from duckdb_columns() where database_name = ? and schema_name = 'marts' "
        "and column_name = 'fiscal_year' order by 1", [database]).fetchall()]
    if not tables:
        return set()
    union = " union ".join(f"select fiscal_year from {sql_name(database)}.marts.{sql_name(t)}" for t in tables)
    return {r[0] for r in con.execute(f"select distinct fiscal_year from ({union}) where fiscal_year is not null")
            .fetchall()}


def _covers_every_year(con: duckdb.DuckDBPyConnection, years: list[int], published: str = PREVIOUS) -> bool:
    """Whether `years` are all the years the previous publication and the working marts hold."""
    return _years_in(con, published) | _years_in(con, "work") <= set(years)


def _refreshed(years: list[int]) -> str:
    """The rows a publication of some years takes from the working marts: those years', and the rows of no
    fiscal year (findings about the raw folder itself), which belong to every refresh."""
    return f"(fiscal_year in ({', '.join(str(int(y)) for y in years)}) or fiscal_year is null)"


def _copy_marts(con: duckdb.DuckDBPyConnection, marts: list[str]) -> None:
    """Create the marts from the working database."""
    for table in marts:
        con.execute(f"create table marts.{sql_name(table)} as select * from work.marts.{sql_name(table)}")


def _slice_keys(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """The columns a mart's rows are replaced by: fiscal year and department where it has them."""
    columns = {r[0] for r in con.execute(
        "select column_name from duckdb_columns() where database_name = 'work' and schema_name = 'marts' "
        "and table_name = ?", [table]).fetchall()}
    return [c for c in SLICE_KEYS if c in columns]


def _patch_mart(con: duckdb.DuckDBPyConnection, table: str, years: list[int]) -> list[int | None] | None:
    """Make marts.<table> of the copied previous publication equal to the working mart in `years`: the slices
    (fiscal year, department) whose rows differ (their count or the sum of their rows' hashes) are deleted
    and inserted again from the working mart. Returns the fiscal years it replaced rows of (None: the whole
    table, a mart across years)."""
    name = sql_name(table)
    keys = _slice_keys(con, table)
    if "fiscal_year" not in keys:
        fingerprint = "select count(*), sum(hash(t)::hugeint) from {}.marts.{} as t"
        if (con.execute(fingerprint.format(BUILDING, name)).fetchone()
                == con.execute(fingerprint.format("work", name)).fetchone()):
            return []
        con.execute(f"create or replace table marts.{name} as select * from work.marts.{name}")
        return None
    key_list = ", ".join(keys)
    fingerprint = (f"select {key_list}, count(*) as row_count, sum(hash(t)::hugeint) as row_hash "
                   f"from {{}}.marts.{name} as t where {_refreshed(years)} group by {key_list}")
    same_slice = " and ".join(f"p.{k} is not distinct from w.{k}" for k in keys)
    con.execute(
        "create or replace temp table changed_slices as select "
        + ", ".join(f"coalesce(p.{k}, w.{k}) as {k}" for k in keys)
        + f" from ({fingerprint.format(BUILDING)}) as p full join ({fingerprint.format('work')}) as w "
        f"on {same_slice} where p.row_count is distinct from w.row_count or p.row_hash is distinct from w.row_hash")
    changed = [r[0] for r in con.execute("select distinct fiscal_year from changed_slices order by 1").fetchall()]
    if changed:
        in_slice = " and ".join(f"c.{k} is not distinct from t.{k}" for k in keys)
        con.execute(f"delete from marts.{name} as t where exists (select 1 from changed_slices as c where {in_slice})")
        con.execute(f"insert into marts.{name} select * from work.marts.{name} as t "
                    f"where exists (select 1 from changed_slices as c where {in_slice})")
    return changed


@dataclass(frozen=True)
class WrittenDatabase:
    """What a publication's DuckDB file holds: each mart's rows, and the fiscal years whose rows the
    publication wrote (None: the whole mart; the other years' rows are the previous publication's)."""

    counts: dict[str, int]
    written_years: dict[str, list[int | None] | None]
    # The publication whose file this one is a patched copy of (None: written whole).
    base_publication: str | None


def _previous_to_patch(work_db: Path, previous: Path | None, marts: list[str], years: list[int] | None
                       ) -> str | None:
    """Whether the publication of `years` starts from a copy of the previous publication's file: it exists,
    holds these marts with the working database's columns under the same contract version, the years are
    not every year there is, and the file has not grown past PATCH_GROWTH times its size when last written
    whole (the rows a patch deletes keep their blocks until DuckDB rewrites their row groups). Returns the
    previous publication's id when it does, else None."""
    if years is None or previous is None or not previous.exists():
        return None
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_text(work_db)} as work (read_only)")
        con.execute(f"attach {sql_text(previous)} as {PREVIOUS} (read_only)")
        columns = {r[0] for r in con.execute(
            "select column_name from duckdb_columns() where database_name = ? and schema_name = 'meta' "
            "and table_name = 'refresh'", [PREVIOUS]).fetchall()}
        if "whole_bytes" not in columns or not _same_layout(con, marts) or _covers_every_year(con, years):
            return None
        publication_id, whole_bytes = con.execute(
            f"select publication_id, whole_bytes from {PREVIOUS}.meta.refresh").fetchone()
    finally:
        con.close()
    grown = whole_bytes is None or previous.stat().st_size > PATCH_GROWTH * whole_bytes + PATCH_SLACK_BYTES
    return None if grown else publication_id


def _write_database(target: Path, work_db: Path, marts: list[str], run_id: str, publication_id: str,
                    parquet_folder: str, years: list[int] | None = None,
                    previous: Path | None = None) -> WrittenDatabase:
    """Write the publication's DuckDB file. With `years` and the previous published file (never written
    after its publication), the file starts as a copy of it, and only the (fiscal year, department) slices
    of those years whose rows differ from the working marts are replaced (_patch_mart): at 100,000
    department-years, one department's change wrote a new 500 MB file in 37 s. Otherwise (no previous
    file, its layout changed, every year replaced, or the copy grew past PATCH_GROWTH) every row is written
    anew from the working marts, and meta.refresh records the file's size then (whole_bytes)."""
    base_publication = _previous_to_patch(work_db, previous, marts, years)
    patch = base_publication is not None
    if patch:
        shutil.copyfile(previous, target)
    con = limit_memory(duckdb.connect())
    try:
        # A copy keeps the storage version of the file it copies.
        con.execute(f"attach {sql_text(target)} as {BUILDING}"
                    + ("" if patch else f" (storage_version {sql_text(PUBLISHED_STORAGE_VERSION)})"))
        con.execute(f"use {BUILDING}")
        con.execute(f"attach {sql_text(work_db)} as work (read_only)")
        con.execute("begin transaction")
        if patch:
            written = {table: _patch_mart(con, table, years) for table in marts}
            whole_bytes = con.execute("select whole_bytes from meta.refresh").fetchone()[0]
            for schema in ("meta", "reference"):
                con.execute(f"drop schema {schema} cascade")
        else:
            con.execute("create schema marts")
            _copy_marts(con, marts)
            written, whole_bytes = dict.fromkeys(marts), None
        for schema in ("meta", "reference"):
            con.execute(f"create schema {schema}")
        # Lineage and reference tables are small: always copied whole.
        for name, source in META_TABLES.items():
            con.execute(f"create table meta.{name} as select * from work.{source}")
        # The reference tables (units, keyword lists, bands) the checks' SQL reads, so that it runs here too,
        # and the rule sets the scores were computed under (reference.rule_set*).
        for (table,) in con.execute("select table_name from duckdb_tables() where database_name = 'work' and "
                                    "schema_name = 'reference'").fetchall():
            con.execute(f"create table reference.{sql_name(table)} as select * from work.reference.{sql_name(table)}")
        con.execute(
            "create table meta.refresh as select ?::timestamp as published_at, ? as run_id, "
            "?::integer as contract_version, ? as tables, ? as fiscal_years, ? as publication_id, "
            "? as parquet_folder, ?::bigint as whole_bytes",
            [datetime.now(UTC).replace(tzinfo=None), run_id, load_contract().version, ",".join(marts),
             ",".join(str(y) for y in years) if patch else "all", publication_id, parquet_folder, whole_bytes],
        )
        write_dictionary(con)
        counts = {table: con.execute(f"select count(*) from marts.{sql_name(table)}").fetchone()[0]
                  for table in marts}
        con.execute("commit")
        con.execute("detach work")
        con.execute(f"checkpoint {BUILDING}")
        if not patch:
            con.execute("update meta.refresh set whole_bytes = ?", [target.stat().st_size])
            con.execute(f"checkpoint {BUILDING}")
        con.execute("use memory")
        con.execute(f"detach {BUILDING}")
        return WrittenDatabase(counts, written, base_publication)
    finally:
        con.close()


def _link_target(publish_dir: Path, name: str = PARQUET_LINK) -> str | None:
    """The version folder a link (`parquet`, `xlsx`) points to (a folder name in publish_dir)."""
    link = publish_dir / name
    return os.readlink(link) if link.is_symlink() else None


def _point_link(publish_dir: Path, version: str, name: str = PARQUET_LINK) -> None:
    """Point publish_dir/<name> at a version folder with one atomic rename of a symlink."""
    link = publish_dir / name
    if link.exists() and not link.is_symlink():  # a plain folder, from before versioned publications
        shutil.rmtree(link)
    tmp_link = publish_dir / f".{name}.link-{version.removeprefix('.' + name + '-')}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(version)
    os.replace(tmp_link, link)


def _published_publication(published: Path) -> tuple[str, str] | None:
    """The publication id and Parquet folder the published DuckDB file names (None before they existed).

    Read through an in-memory database: a `duckdb.connect` of the path could hand back a database
    this process still holds open from before the last swap."""
    if not published.exists():
        return None
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_text(published)} as published (read_only)")
        columns = {r[0] for r in con.execute(
            "select column_name from duckdb_columns() where database_name = 'published' "
            "and schema_name = 'meta' and table_name = 'refresh'").fetchall()}
        if not {"publication_id", "parquet_folder"} <= columns:
            return None
        row = con.execute("select publication_id, parquet_folder from published.meta.refresh").fetchone()
        return (row[0], row[1]) if row and row[0] else None
    finally:
        con.close()


def published_years(publish_dir: Path) -> list[int]:
    """The fiscal years the published marts hold rows of (none before the first publication)."""
    published = publish_dir / PUBLISHED_NAME
    if not published.exists():
        return []
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_text(published)} as published (read_only)")
        return sorted(_years_in(con, "published"))
    finally:
        con.close()


def _complete_interrupted_swap(publish_dir: Path) -> str | None:
    """When the published DuckDB file names a complete Parquet folder the link does not point to (a
    process killed between the two swaps), point the link there and put that build's report in place."""
    named = _published_publication(publish_dir / PUBLISHED_NAME)
    if named is None:
        return None
    publication_id, folder = named
    manifest = read_manifest(publish_dir / folder)
    if _link_target(publish_dir) == folder or manifest is None or manifest.get("publication_id") != publication_id:
        return None
    _point_link(publish_dir, folder)
    _swap_in_extras(publish_dir, publication_id)
    return publication_id


def _swap_in_extras(publish_dir: Path, publication_id: str) -> None:
    """Point the `xlsx` link at the publication's workbooks and put its pages in place, as far as they
    were written."""
    if (publish_dir / f".{XLSX_LINK}-{publication_id}").is_dir():
        _point_link(publish_dir, f".{XLSX_LINK}-{publication_id}", XLSX_LINK)
    for page in PAGES:
        building = publish_dir / f".{page}.building-{publication_id}"
        if building.exists():
            os.replace(building, publish_dir / page)


def _remove_debris(publish_dir: Path) -> list[str]:
    """Remove what builds left behind: their unswapped files, and every Parquet version folder but the
    one the link points to, the one the DuckDB file names and the one published before (readers that
    resolved the link just before the last swap may still be reading it)."""
    current = _link_target(publish_dir)
    named = _published_publication(publish_dir / PUBLISHED_NAME)
    manifest = read_manifest(publish_dir / current) if current else None
    keep = {current, named[1] if named else None, manifest.get("previous") if manifest else None}
    removed = []
    for pattern in BUILD_DEBRIS:
        for path in publish_dir.glob(pattern):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    for folder in publish_dir.glob(f".{PARQUET_LINK}-*"):
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    keep_xlsx = {_link_target(publish_dir, XLSX_LINK), f".{XLSX_LINK}-{named[0]}" if named else None}
    for folder in publish_dir.glob(f".{XLSX_LINK}-*"):
        if folder.name not in keep_xlsx:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder.name)
    return removed


def _write_report(db: Path, target: Path) -> dict[str, int]:
    con = limit_memory(duckdb.connect(str(db), read_only=True))
    try:
        rows = quality_report.findings(con, limit=report_max_findings())
        counts = quality_report.all_severity_counts(con)
    finally:
        con.close()
    target.write_text(quality_report.render(rows, in_mart=counts), encoding="utf-8")
    return counts


def publish_marts(work_db: Path, publish_dir: Path, marts: list[str], run_id: str = "",
                  years: list[int] | None = None) -> PublishResult:
    """Publish the marts of the working database; with `years`, only the rows of those fiscal years
    changed since the last publication (see _write_database). Holds the refresh lock throughout
    (RefreshBusy when another process has it)."""
    publish_dir.mkdir(parents=True, exist_ok=True)
    with refresh_lock(work_db):
        recover(publish_dir)
        return _publish(work_db, publish_dir, marts, run_id, years)


def recover(publish_dir: Path) -> None:
    """Complete a swap cut short, then remove what dead builds left: the start of every publication."""
    _complete_interrupted_swap(publish_dir)
    _remove_debris(publish_dir)


def _publish(work_db: Path, publish_dir: Path, marts: list[str], run_id: str,
             years: list[int] | None) -> PublishResult:
    publication_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    building = publish_dir / f".{PUBLISHED_NAME}.building-{publication_id}"
    report_building = publish_dir / f".{REPORT_NAME}.building-{publication_id}"
    dashboard_building = publish_dir / f".{DASHBOARD_NAME}.building-{publication_id}"
    parquet_version = publish_dir / f".{PARQUET_LINK}-{publication_id}"
    xlsx_version = publish_dir / f".{XLSX_LINK}-{publication_id}"
    published = publish_dir / PUBLISHED_NAME
    database_swapped = False
    try:
        written = _write_database(building, work_db, marts, run_id, publication_id, parquet_version.name, years,
                                  published)
        counts = written.counts
        # The Parquet files and the workbooks in one thread, the pages in another: each is mostly DuckDB
        # (which releases the GIL) or zlib, so on two cores the two halves take about as long as the longer.
        previous_parquet = _link_target(publish_dir)
        previous_xlsx = _link_target(publish_dir, XLSX_LINK)

        def files() -> None:
            write_parquet(building, parquet_version, marts, publication_id,
                          publish_dir / previous_parquet if previous_parquet else None,
                          written.written_years, written.base_publication)
            write_workbooks(building, xlsx_version, marts, max_rows=xlsx_max_rows(),
                            previous=publish_dir / previous_xlsx if previous_xlsx else None)

        with ThreadPoolExecutor(1) as pool:
            written_files = pool.submit(files)
            severities = _write_report(building, report_building)
            write_dashboard(building, dashboard_building, report_href=REPORT_NAME)
            written_files.result()
        fault_points.reached(fault_points.PUBLICATION_BUILT)
        os.replace(building, published)
        database_swapped = True
        fault_points.reached(fault_points.BETWEEN_SWAPS)
        _point_link(publish_dir, parquet_version.name)
        _swap_in_extras(publish_dir, publication_id)
    except BaseException:
        # Once the DuckDB file is swapped in, it names the new folder: the next publication completes the
        # swap (recover) with the folder and the report left here.
        if not database_swapped:
            for leftover in (building, Path(str(building) + ".wal"), report_building, dashboard_building):
                leftover.unlink(missing_ok=True)
            shutil.rmtree(parquet_version, ignore_errors=True)
            shutil.rmtree(xlsx_version, ignore_errors=True)
        raise
    _remove_debris(publish_dir)
    return PublishResult(publication_id, published, publish_dir / PARQUET_LINK, counts, publish_dir / REPORT_NAME,
                         severities)


@dataclass(frozen=True)
class PublicationStatus:
    """What the published DuckDB file and the `parquet` link each say about the publication they hold."""

    database_id: str | None
    database_folder: str | None
    link_folder: str | None
    parquet_id: str | None
    files_not_matching: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return (self.database_id is not None and self.database_id == self.parquet_id
                and self.database_folder == self.link_folder and not self.files_not_matching)

    def lines(self) -> list[str]:
        database = PUBLISHED_NAME + (f": publication {self.database_id}, Parquet folder {self.database_folder}"
                                     if self.database_id else ": no publication id (missing, or from an older "
                                     "version of the warehouse)")
        parquet = f"{PARQUET_LINK} -> {self.link_folder}: " + (
            f"publication {self.parquet_id}" if self.parquet_id else "no complete publication")
        lines = [database, parquet]
        lines += [f"{name}: missing, or not of the publication _publication.json names"
                  for name in self.files_not_matching]
        lines.append("agree: the DuckDB file and the Parquet files are the same publication" if self.agree else
                     "DISAGREE: the DuckDB file and the Parquet files are not the same publication "
                     "(the next refresh completes an interrupted swap)")
        return lines


def publication_status(publish_dir: Path) -> PublicationStatus:
    """Whether the published DuckDB file and the Parquet files the `parquet` link points to are one
    publication: the id in meta.refresh, the folder's manifest and every file's metadata."""
    named = _published_publication(publish_dir / PUBLISHED_NAME)
    link_folder = _link_target(publish_dir)
    manifest = read_manifest(publish_dir / link_folder) if link_folder else None
    parquet_id = manifest.get("publication_id") if manifest else None
    mismatched = []
    if manifest:
        mismatched = [f"{link_folder}/{name}" for name in files_not_matching(publish_dir / link_folder, manifest)]
    return PublicationStatus(named[0] if named else None, named[1] if named else None, link_folder, parquet_id,
                             mismatched)
