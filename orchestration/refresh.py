"""Which fiscal years a transform-and-publish run rebuilds, carried by a run tag.

`all` (or no tag) rebuilds every year; `2016,2021` rebuilds those years and what reads them (dbt:
macros/by_fiscal_year.sql; scores: orchestration/scoring/incremental.py). The CLI sets the tag from
`--year`, the run-status sensor from the partitions its batch of raw loads reloaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

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
