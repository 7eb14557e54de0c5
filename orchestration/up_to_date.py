"""A refresh with nothing to do does nothing: the published marts are current when nothing they are made of
changed since their publication.

A nightly refresh, or `make run`, over a raw folder that did not change paid the whole fixed cost of a
refresh (importing Dagster and dagster-dbt, a load run and a transform run recorded event by event, a
publication written again) to publish the same marts: 10-20 s on two cores. The publication now records,
in the working database, the digest of what it was made from (`record_publication`):

- each fiscal year's load (`raw._year_loads`: the digest of the year's files and of what reads them,
  orchestration/unchanged_years.py) and the files beside the year folders;
- the rule sets the scores were computed under, and the dbt manifest the tables were built from;
- the warehouse's code (orchestration/, the raw data contract) and its settings (WAREHOUSE_* variables).

Before it starts Dagster, a refresh asks `current_publication`: when the files of every year it would load
are those last loaded, no load is waiting for its build, the rule sets and the dbt project are those last
built, the digest is the one recorded with the publication, and that publication is the one in place (its
DuckDB file, Parquet files, pages and workbooks agree), the refresh stops there and says so. Anything else
runs the refresh as before. `WAREHOUSE_RELOAD_UNCHANGED=1` runs it whatever the digests say.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date, datetime
from zoneinfo import ZoneInfo

import duckdb

from orchestration.contract import PROJECT_ROOT
from orchestration.settings import (
    FIRST_FISCAL_YEAR,
    PARTITION_TIMEZONE,
    RELOAD_UNCHANGED,
    WarehousePaths,
    reload_unchanged,
)
from orchestration.sql import table_exists

PUBLISHED_INPUTS_TABLE = "raw._published_inputs"
# What the warehouse does with its inputs, besides the dbt project (whose manifest is part of the digest).
CODE_INPUTS = ("orchestration", "contract")
CODE_SUFFIXES = (".py", ".yml", ".yaml", ".json", ".sql", ".html", ".css", ".js")
# Not part of the digest: the setting that forces the work whatever the digests say, and the settings that say
# where the inputs and outputs live, whose content the digest and the checks cover (each year's files, the
# rule sets, the publication's id): a warehouse copied elsewhere, or rule sets copied to another folder, is
# as current as it was.
NOT_INPUTS = (RELOAD_UNCHANGED, "WAREHOUSE_RAW_DIR", "WAREHOUSE_WORK_DB", "WAREHOUSE_PUBLISH_DIR",
              "WAREHOUSE_RULE_SETS_DIR")


def partition_years(today: date | None = None) -> list[int]:
    """The fiscal-year partitions (orchestration/partitions.py) without importing Dagster: from the first
    fiscal year to the last year that has ended, in Beijing time."""
    today = today or datetime.now(ZoneInfo(PARTITION_TIMEZONE)).date()
    return list(range(FIRST_FISCAL_YEAR, today.year))


def code_digest() -> str:
    digest = hashlib.sha256()
    for name in CODE_INPUTS:
        for path in sorted((PROJECT_ROOT / name).rglob("*")):
            if path.is_file() and path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def settings_digest() -> str:
    items = sorted((k, v) for k, v in os.environ.items() if k.startswith("WAREHOUSE_") and k not in NOT_INPUTS)
    return hashlib.sha256(repr(items).encode()).hexdigest()


def inputs_digest(con: duckdb.DuckDBPyConnection) -> str:
    """The digest of what the working database's marts, and a publication of them, are made of."""
    from orchestration.dbt_manifest import built_manifest
    from orchestration.scoring.rule_set_tables import rule_sets_fingerprint
    from orchestration.unchanged_years import YEAR_LOADS_TABLE

    loads = con.execute(f"select fiscal_year, digest from {YEAR_LOADS_TABLE} order by fiscal_year nulls first"
                        ).fetchall() if table_exists(con, *YEAR_LOADS_TABLE.split(".")) else []
    built_from = built_manifest()
    manifest = hashlib.sha256(built_from.read_bytes()).hexdigest() if built_from.exists() else ""
    parts = [repr(loads), rule_sets_fingerprint(con), manifest, code_digest(), settings_digest()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def record_publication(con: duckdb.DuckDBPyConnection, publication_id: str) -> None:
    """After a publication: what it was made from (the working database as it stands)."""
    digest = inputs_digest(con)
    con.execute(f"create table if not exists {PUBLISHED_INPUTS_TABLE} (publication_id varchar, digest varchar, "
                "recorded_at timestamp)")
    con.execute(f"delete from {PUBLISHED_INPUTS_TABLE}")
    con.execute(f"insert into {PUBLISHED_INPUTS_TABLE} values (?, ?, now())", [publication_id, digest])


def _pending(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether a load recorded changes that no build has taken yet (orchestration/refresh_scope.py)."""
    from orchestration.refresh_scope import PENDING_KINDS_TABLE, PENDING_TABLE

    if not table_exists(con, *PENDING_TABLE.split(".")):
        return False
    return bool(con.execute(f"select (select count(*) from {PENDING_TABLE} where department_code is not null "
                            f"or whole_year) + (select count(*) from {PENDING_KINDS_TABLE})").fetchone()[0])


def _loads_current(con: duckdb.DuckDBPyConnection, paths: WarehousePaths, years: list[int]) -> bool:
    """Whether the files of these years, and those beside the year folders, are those last loaded."""
    from orchestration.contract import load_contract
    from orchestration.raw_files import raw_layout
    from orchestration.unchanged_years import YEAR_LOADS_TABLE, strays_digest, year_digest

    stored = dict(con.execute(f"select fiscal_year, digest from {YEAR_LOADS_TABLE}").fetchall())
    if stored.get(None) != strays_digest(raw_layout(paths.raw_dir, load_contract()).strays):
        return False
    return all(stored.get(year) == year_digest(paths.raw_dir, year) for year in years)


def _publication_in_place(paths: WarehousePaths, publication_id: str) -> bool:
    from orchestration.publication import PAGES, XLSX_LINK, publication_status

    status = publication_status(paths.publish_dir)
    xlsx = paths.publish_dir / XLSX_LINK
    return (status.agree and status.database_id == publication_id and xlsx.is_dir()
            and os.readlink(xlsx).endswith(publication_id)
            and all((paths.publish_dir / page).exists() for page in PAGES))


def current_publication(paths: WarehousePaths, years: list[int]) -> str | None:
    """The id of the publication in place when a refresh loading `years` has nothing to do; else None."""
    from orchestration.dbt_manifest import built_from_current_manifest
    from orchestration.scoring.rule_set_tables import rule_sets_changed
    from orchestration.unchanged_years import YEAR_LOADS_TABLE

    if reload_unchanged() or not paths.work_db.exists():
        return None
    if not built_from_current_manifest() or rule_sets_changed(paths):
        return None
    try:
        con = duckdb.connect(str(paths.work_db), read_only=True)
    except duckdb.Error:  # held by another process: the refresh itself says so
        return None
    try:
        if not all(table_exists(con, *table.split(".")) for table in (PUBLISHED_INPUTS_TABLE, YEAR_LOADS_TABLE)):
            return None
        publication_id, digest = con.execute(f"select publication_id, digest from {PUBLISHED_INPUTS_TABLE}"
                                             ).fetchone() or (None, None)
        if publication_id is None or _pending(con) or not _loads_current(con, paths, years):
            return None
        if digest != inputs_digest(con):
            return None
    finally:
        con.close()
    return publication_id if _publication_in_place(paths, publication_id) else None
