"""Which fiscal years a transform-and-publish run rebuilds.

The run's tag asks: `all` (or no tag) rebuilds every year; `2016,2021` rebuilds those years and what
reads them (dbt: macros/by_fiscal_year.sql; the score marts, plain tables, change in the years that read
them: orchestration/assets/transform.py records them). The CLI sets
the tag from `--year`, the run-status sensor from the partitions its batch of raw loads reloaded.

Each step then records in the working database what it rewrote (raw._refresh_steps), and the next
step follows: when dbt had to rebuild every year (its project changed since the last build), the
scores and the publication rebuild every year too, and the publication replaces exactly the years
the steps rewrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb

from orchestration.sql import table_exists

REFRESH_YEARS_TAG = "warehouse/refresh_years"
REFRESH_YEARS_ENV = "WAREHOUSE_REFRESH_YEARS"  # read by dbt_project/macros/by_fiscal_year.sql
ALL_YEARS = "all"


def years_tag(years: Iterable[int | str] | None) -> str:
    return ALL_YEARS if years is None else ",".join(str(y) for y in sorted({int(y) for y in years}))


def refresh_years(tags: Mapping[str, str]) -> list[int] | None:
    """The years of the run's tag; None means every year."""
    value = tags.get(REFRESH_YEARS_TAG, ALL_YEARS).strip()
    if value == ALL_YEARS:
        return None
    return sorted({int(y) for y in value.split(",") if y.strip()})


def years_rewritten(years: list[int] | None, years_read_forward: int) -> list[int] | None:
    """The refresh years and the years that read them, up to `years_read_forward` later."""
    if years is None:
        return None
    return sorted({y + k for y in years for k in range(years_read_forward + 1)})


STEPS_TABLE = "raw._refresh_steps"
DBT_STEP, SCORES_STEP = "dbt", "scores"


def record_step(con: duckdb.DuckDBPyConnection, run_id: str, step: str, years: list[int] | None,
                fingerprint: str | None = None) -> None:
    """Record that `step` of run `run_id` rewrote these years (None: every year)."""
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists {STEPS_TABLE} (run_id varchar, step varchar, fiscal_years varchar, "
                "fingerprint varchar, recorded_at timestamp)")
    con.execute(f"insert into {STEPS_TABLE} values (?, ?, ?, ?, now())", [run_id, step, years_tag(years), fingerprint])


def _steps(con: duckdb.DuckDBPyConnection, where: str, params: list) -> list[tuple]:
    if not table_exists(con, *STEPS_TABLE.split(".")):
        return []
    return con.execute(f"select step, fiscal_years, fingerprint from {STEPS_TABLE} where {where} "
                       "order by recorded_at", params).fetchall()


def recorded_step(con: duckdb.DuckDBPyConnection, run_id: str, step: str) -> tuple[bool, list[int] | None]:
    """Whether the run recorded the step, and the years it rewrote (None: every year)."""
    rows = _steps(con, "run_id = ? and step = ?", [run_id, step])
    return (True, refresh_years({REFRESH_YEARS_TAG: rows[-1][1]})) if rows else (False, None)


def rewritten_in_run(con: duckdb.DuckDBPyConnection, run_id: str) -> list[int] | None:
    """The union of the years the run's steps rewrote; None when one of them, or none at all, was recorded
    as rewriting every year (a run that recorded nothing is treated as a full one)."""
    rows = _steps(con, "run_id = ?", [run_id])
    if not rows:
        return None
    years: set[int] = set()
    for _, tag, _ in rows:
        found = refresh_years({REFRESH_YEARS_TAG: tag})
        if found is None:
            return None
        years |= set(found)
    return sorted(years)


def last_fingerprint(con: duckdb.DuckDBPyConnection, step: str) -> str | None:
    """The fingerprint the step last recorded (after its last success)."""
    rows = _steps(con, "step = ?", [step])
    return rows[-1][2] if rows else None
