"""Which departments of the refresh years a dbt build rewrites: the department as the unit of change.

A fiscal year at province scale holds 10,000 departments; one department's corrected file should cost
little more than an empty refresh, not a rebuild of its year. Dagster's partitions stay the fiscal years
(10 of them, not 100,000 department-years: every partition costs events on every asset); inside a run's
years the load tells dbt which departments changed:

1. The load of a year fingerprints each department's rows of every kind, and its contract findings,
   before and after it replaces them (DuckDB's `hash` of each row, summed per department), and records
   the departments whose rows changed in `raw._pending_departments` (in the load's own transaction). A
   year whose departments mostly changed (a first load, a new export) is recorded whole. Every load
   records the year itself, changed or not, so that the build knows the year was narrowed.
2. Before a dbt build of some years, `write_scope` turns the pending rows of those years into
   `raw._refresh_scope`: the departments to rewrite, or one NULL row for "every department". A run whose
   first year no load recorded (a run started from the Dagster UI, a rebuild of a year the load did not
   touch) is not narrowed: narrowing is only ever done on the load's word.
3. dbt's incremental models filter their inputs and outputs to those departments of the refresh years
   (macros/fiscal_years.sql reads the scope when it compiles a model), and delete only those slices
   first. The years the run reaches beyond the loaded ones (the prior-year comparison, the PEFA window)
   take the same departments: every model reads other years of the same department only.
4. The load records the file kinds whose rows changed too (`raw._pending_kinds`, with '_findings' for the
   contract findings): the models that none of those sources reaches, and the seeds, are left out of the
   build (orchestration/dbt_manifest.py finds them, orchestration/assets/transform.py leaves them out: their
   tables hold what a build would write again), and a refresh whose files did not change runs no dbt.
5. After the build, the pending rows of its years are cleared and the scope set back to whole, so that
   a plain `dbt build` outside a refresh never runs narrowed by a stale scope.
"""

from __future__ import annotations

from collections.abc import Iterable

import duckdb

from orchestration.contract import Contract
from orchestration.sql import sql_name, table_exists

PENDING_TABLE = "raw._pending_departments"
PENDING_KINDS_TABLE = "raw._pending_kinds"  # the file kinds (and '_findings') whose rows the loads changed
SCOPE_TABLE = "raw._refresh_scope"
# A year in which more than this share of its departments changed is rebuilt whole: a filter listing
# most departments costs more than it saves.
WHOLE_YEAR_SHARE = 0.5
FINDING_COLUMNS = ("source_file", "kind", "source_row", "source_column", "check_name", "value", "reason", "action",
                   "severity")


def ensure_scope_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists {PENDING_TABLE} (fiscal_year integer, department_code varchar, "
                "whole_year boolean, recorded_at timestamp)")
    con.execute(f"create table if not exists {PENDING_KINDS_TABLE} (fiscal_year integer, kind varchar, "
                "recorded_at timestamp)")
    if not table_exists(con, *SCOPE_TABLE.split(".")):
        con.execute(f"create table {SCOPE_TABLE} (department_code varchar)")
        con.execute(f"insert into {SCOPE_TABLE} values (null)")  # at rest: every department


def fingerprint_sql(contract: Contract, year: int, findings_table: str) -> str:
    """One row per (kind, department) of the year's raw rows and contract findings: how many and the sum
    of their hashes. Lineage (file and row) is part of a row: a row that moved is a change."""
    parts = []
    for kind in contract.kinds.values():
        columns = ", ".join([*(sql_name(c) for c in kind.column_names), "_source_file", "_source_row"])
        parts.append(f"select '{kind.name}' as kind, nullif(trim(department_code), '') as department_code, "
                     f"count(*) as row_count, sum(hash({columns})::hugeint) as row_hash "
                     f"from raw.{sql_name(kind.name)} where _partition_year = {int(year)} group by all")
    parts.append(f"select '_findings' as kind, department_code, count(*) as row_count, "
                 f"sum(hash({', '.join(FINDING_COLUMNS)})::hugeint) as row_hash "
                 f"from {findings_table} where _partition_year = {int(year)} group by all")
    return " union all ".join(parts)


def fingerprint(con: duckdb.DuckDBPyConnection, contract: Contract, year: int, findings_table: str,
                name: str) -> None:
    """The year's fingerprints (its raw rows, and its contract findings in `findings_table`) into the
    temporary table `name`."""
    con.execute(f"create or replace temp table {name} as {fingerprint_sql(contract, year, findings_table)}")


def record_changes(con: duckdb.DuckDBPyConnection, year: int, before: str, after: str) -> list[str | None] | None:
    """Record in the pending table which departments of the year changed between two fingerprints (None in
    the list: rows that name no department); the year whole (returns None) when most of them did."""
    ensure_scope_tables(con)
    con.execute(f"""
        create or replace temp table changed_slices as
        select distinct coalesce(a.kind, b.kind) as kind,
            coalesce(a.department_code, b.department_code) as department_code
        from {before} as b full outer join {after} as a
            on a.kind = b.kind and a.department_code is not distinct from b.department_code
        where a.row_count is distinct from b.row_count or a.row_hash is distinct from b.row_hash""")
    changed = [r[0] for r in con.execute("select distinct department_code from changed_slices "
                                         "order by 1 nulls first").fetchall()]
    con.execute(f"insert into {PENDING_KINDS_TABLE} select distinct {int(year)}, kind, now() from changed_slices")
    con.execute("drop table changed_slices")
    departments = con.execute(f"select count(distinct department_code) from (select department_code from {before} "
                              f"union all select department_code from {after})").fetchone()[0]
    whole = departments > 0 and len([c for c in changed if c is not None]) > WHOLE_YEAR_SHARE * departments
    # The year's own row (no department) says a load recorded it, changed or not.
    rows = [(year, None, whole)] + ([] if whole else [(year, c, False) for c in changed if c is not None])
    con.executemany(f"insert into {PENDING_TABLE} values (?, ?, ?, now())", rows)
    return None if whole else changed


def record_unchanged_year(con: duckdb.DuckDBPyConnection, year: int) -> None:
    """A year loaded with nothing changed: recorded as such, so that a build of it is narrowed to nothing."""
    ensure_scope_tables(con)
    con.execute(f"insert into {PENDING_TABLE} values (?, null, false, now())", [year])


def write_scope(con: duckdb.DuckDBPyConnection, years: Iterable[int]) -> list[str] | None:
    """The departments a build of these years rewrites, written to the scope table; None: every one."""
    ensure_scope_tables(con)
    years = sorted(set(years))
    rows = con.execute(f"select fiscal_year, department_code, whole_year from {PENDING_TABLE} "
                       "where fiscal_year in (select unnest(?::integer[]))", [years]).fetchall()
    # The run's years after its first are those a load recorded or those its reads reach from them (the
    # prior-year comparison, the PEFA window), which take the same departments. A run whose first year no
    # load recorded is not narrowed.
    if not years or years[0] not in {y for y, _, _ in rows} or any(whole for _, _, whole in rows):
        departments = None
    else:
        departments = sorted({d for _, d, _ in rows if d is not None})
    con.execute(f"delete from {SCOPE_TABLE}")
    if departments is None:
        con.execute(f"insert into {SCOPE_TABLE} values (null)")
    elif departments:
        con.executemany(f"insert into {SCOPE_TABLE} values (?)", [[d] for d in departments])
    return departments


def changed_kinds(con: duckdb.DuckDBPyConnection, years: Iterable[int]) -> set[str] | None:
    """The file kinds (and '_findings', the contract findings) whose rows the loads of these years changed;
    None when the run is not narrowed (its first year no load recorded), as in write_scope."""
    ensure_scope_tables(con)
    years = sorted(set(years))
    if not years or not con.execute(f"select count(*) from {PENDING_TABLE} where fiscal_year = ?",
                                    [years[0]]).fetchone()[0]:
        return None
    return {r[0] for r in con.execute(f"select distinct kind from {PENDING_KINDS_TABLE} "
                                      "where fiscal_year in (select unnest(?::integer[]))", [years]).fetchall()}


def finish_build(con: duckdb.DuckDBPyConnection, years: Iterable[int] | None) -> None:
    """After a successful build: its years' pending rows are done (None: every year's), and the scope is
    whole again."""
    ensure_scope_tables(con)
    for table in (PENDING_TABLE, PENDING_KINDS_TABLE):
        if years is None:
            con.execute(f"delete from {table}")
        else:
            con.execute(f"delete from {table} where fiscal_year in (select unnest(?::integer[]))", [sorted(set(years))])
    reset_scope(con)


def reset_scope(con: duckdb.DuckDBPyConnection) -> None:
    ensure_scope_tables(con)
    con.execute(f"delete from {SCOPE_TABLE}")
    con.execute(f"insert into {SCOPE_TABLE} values (null)")
