"""Fiscal year as a Dagster partition, on every asset: raw, dbt, scores, publish.

A yearly time-window partitions definition (one key a year, "2016"), rather than the dynamic
partitions of before: time windows are what TimeWindowPartitionMapping works on, so that prior-year and
rolling-window reads (year-on-year change, PEFA windows) are partition mappings Dagster understands
(the asset graph, backfills and declarative automation then know that 2017 reads 2016), and a range of
years is one run (BackfillPolicy.single_run). Dynamic partitions would need a sensor to add each year
and a partition mapping of our own for the prior year, which Dagster does not serialize for its daemon.
The years run from the first fiscal year the warehouse holds (WAREHOUSE_FIRST_FISCAL_YEAR, default 2015:
the revised Budget Law, in force from 1 January 2015, made performance evaluation of budgets general) to
the last fiscal year that has ended: a self-evaluation reports on a finished year, so a year becomes a
partition on 1 January of the next. A year folder outside that range is reported, not loaded. Every
partition costs Dagster events on every asset (a materialization per asset and year), so the first year
should be the first year of data, not a round number (docs/design-issue13.md, "Risks"), and a full
refresh runs only the years from the first to the last year the warehouse holds (orchestration/cli.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from dagster import AutomationCondition, BackfillPolicy, TimeWindowPartitionMapping, TimeWindowPartitionsDefinition

from orchestration.settings import FIRST_FISCAL_YEAR, PARTITION_TIMEZONE

fiscal_years = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=str(FIRST_FISCAL_YEAR), fmt="%Y", timezone=PARTITION_TIMEZONE, end_offset=0)

# "All years" is one run: a backfill of every year, the nightly refresh, a refresh of a range.
SINGLE_RUN = BackfillPolicy.single_run()


def reads_years_back(years: int) -> TimeWindowPartitionMapping:
    """Year Y reads years Y-`years` .. Y of its input (prior year: 1; a PEFA window of n years: n-1)."""
    # A window reaching before the first fiscal year reads what exists (the first year's PEFA window is short).
    return TimeWindowPartitionMapping(start_offset=-years, end_offset=0, allow_nonexistent_upstream_partitions=True)


# Declarative automation, in place of the run-status sensor that started a transform once a batch of raw
# loads was done: a partition is requested when a partition it reads was updated (any year, not only the
# latest window), never while one it reads is missing or in progress.
AFTER_UPSTREAM = AutomationCondition.eager().without(AutomationCondition.in_latest_time_window()).with_label(
    "eager_any_year")


def all_keys() -> list[str]:
    return fiscal_years.get_partition_keys()


def span(keys: Iterable[str]) -> list[str]:
    """The partitions from the first to the last of `keys` (a run covers a contiguous range of years); a
    key that is no partition is left out."""
    ordered = all_keys()
    positions = [ordered.index(k) for k in set(keys) if k in ordered]
    return ordered[min(positions):max(positions) + 1] if positions else []


def years_of(context) -> list[int] | None:
    """The run's fiscal years; None when the run covers every year (a full build)."""
    keys = list(context.partition_keys)
    return None if keys == all_keys() else [int(k) for k in keys]
