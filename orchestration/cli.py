"""Command line of the warehouse.

    python -m orchestration.cli prepare            # write dbt_project/target/manifest.json (dbt parse)
    python -m orchestration.cli run                # load every fiscal year, build the marts, publish them
    python -m orchestration.cli run --year 2016    # reload 2016, rebuild and republish what reads it
    python -m orchestration.cli status             # do the published DuckDB file and Parquet agree?

`run` executes the same Dagster jobs the schedule and sensors launch, in this process, against
the Dagster instance in $DAGSTER_HOME (a temporary one when unset), so every step is recorded as
an asset materialization. One refresh runs at a time per working database: a second one exits at
once with status 75 and a one-line message (orchestration/refresh_lock.py). Each refresh first marks
failed the runs a killed refresh left in progress (orchestration/stale_runs.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from orchestration.dbt_manifest import prepare_manifest
from orchestration.refresh import REFRESH_YEARS_TAG, years_tag
from orchestration.refresh_lock import BUSY_EXIT_CODE, RefreshBusy, refresh_lock
from orchestration.settings import warehouse_paths


class RefreshFailed(RuntimeError):
    pass


def _failure_messages(result) -> str:
    """The error messages of the failed steps of an in-process run."""
    messages = []
    for event in result.all_events:
        if not event.is_step_failure or event.step_failure_data.error is None:
            continue
        error = event.step_failure_data.error
        while error.cause is not None:  # Dagster wraps the asset's own exception: report that one
            error = error.cause
        messages.append(f"{event.step_key}: {error.message.strip()}")
    return "; ".join(messages)


def _load_batches(partitions: list[str], keys: list[str]) -> list[list[str]]:
    """The years to load, as runs: one run for every run of years that are neighbours in the
    partitions' order (a partition range), so that a full refresh pays a run's overhead once."""
    wanted = set(keys)
    batches: list[list[str]] = []
    previous_wanted = False
    for key in partitions:
        if key in wanted:
            if previous_wanted:
                batches[-1].append(key)
            else:
                batches.append([key])
        previous_wanted = key in wanted
    return batches


def _years_label(keys: list[str]) -> str:
    years = sorted(int(k) for k in keys)
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ",".join(str(y) for y in years)


def _years_to_load(paths) -> list[int]:
    """Every year folder under data/raw, and every year the working database still holds that has none
    any more: its load removes what it held (a year that leaves data/raw leaves the marts)."""
    import duckdb

    from orchestration.raw_files import fiscal_years
    from orchestration.raw_load import loaded_years

    years = set(fiscal_years(paths.raw_dir))
    if paths.work_db.exists():
        con = duckdb.connect(str(paths.work_db), read_only=True)
        try:
            years |= set(loaded_years(con))
        finally:
            con.close()
    return sorted(years)


def refresh(instance, years: list[int] | None = None) -> dict[str, object]:
    """Load the given fiscal years (default: every year folder), then transform and publish: every
    year when no years are given, else only the given years and what depends on them.

    Holds the refresh lock (RefreshBusy when another process has it) and first marks failed the runs
    whose process died. Raises RefreshFailed naming the failing job; the published marts are then left
    as they were.
    """
    from orchestration.stale_runs import fail_dead_runs

    with refresh_lock(warehouse_paths().work_db):
        for message in fail_dead_runs(instance):
            print(message, file=sys.stderr)
        return _refresh(instance, years)


def _refresh(instance, years: list[int] | None) -> dict[str, object]:
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    from orchestration.assets.raw import fiscal_year_partitions
    from orchestration.definitions import build_definitions
    from orchestration.stale_runs import process_tags

    defs = build_definitions()
    paths = warehouse_paths()
    full = years is None
    years = years if years is not None else _years_to_load(paths)
    keys = [str(y) for y in years]
    known = set(instance.get_dynamic_partitions(fiscal_year_partitions.name))
    instance.add_dynamic_partitions(fiscal_year_partitions.name, [k for k in keys if k not in known])
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    timings: dict[str, float] = {}
    for batch in _load_batches(instance.get_dynamic_partitions(fiscal_year_partitions.name), keys):
        label = _years_label(batch)
        started = time.perf_counter()
        one = {"partition_key": batch[0], "tags": process_tags()} if len(batch) == 1 else {"tags": {
            ASSET_PARTITION_RANGE_START_TAG: batch[0], ASSET_PARTITION_RANGE_END_TAG: batch[-1], **process_tags()}}
        result = defs.resolve_job_def("load_raw").execute_in_process(
            instance=instance, raise_on_error=False, run_config=quiet, **one)
        timings[f"load_raw[{label}]"] = time.perf_counter() - started
        if not result.success:
            raise RefreshFailed(f"loading fiscal year {label} failed (run {result.run_id}): "
                                f"{_failure_messages(result)}")
    started = time.perf_counter()
    result = defs.resolve_job_def("transform_and_publish").execute_in_process(
        instance=instance, raise_on_error=False, run_config=quiet,
        tags={REFRESH_YEARS_TAG: years_tag(None if full else years), **process_tags()})
    timings["transform_and_publish"] = time.perf_counter() - started
    if not result.success:
        raise RefreshFailed(f"transform and publish failed (run {result.run_id}); published marts unchanged: "
                            f"{_failure_messages(result)}")
    findings = {}
    for event in result.all_events:
        if event.is_step_materialization and event.asset_key and event.asset_key.path == ["published_warehouse"]:
            metadata = event.step_materialization_data.materialization.metadata
            findings = {k.removeprefix("findings."): v.value for k, v in metadata.items() if k.startswith("findings.")}
    return {"years": keys, "timings": timings, "published": str(paths.published_db), "findings": findings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="dbt parse (when the project changed): write the manifest the Dagster "
                   "definitions read")
    run = sub.add_parser("run", help="load every fiscal year, build and publish the marts")
    run.add_argument("--year", type=int, action="append",
                     help="reload only this fiscal year and rebuild only what reads it (repeatable)")
    sub.add_parser("status", help="whether the published DuckDB file and the Parquet files are the same "
                   "publication (exit status 1 when they are not)")
    args = parser.parse_args(argv)

    if args.command == "status":
        return _status()
    if args.command == "prepare":
        parsed = prepare_manifest()
        print("dbt manifest: parsed (the dbt project or its environment changed)" if parsed
              else "dbt manifest: up to date")
        return 0
    try:
        with refresh_lock(warehouse_paths().work_db):  # before dbt parse and Dagster: a second refresh ends at once
            summary = _run(args.year)
    except RefreshBusy as exc:
        print(exc, file=sys.stderr)
        return BUSY_EXIT_CODE
    except RefreshFailed as exc:
        print(f"refresh failed: {exc}", file=sys.stderr)
        return 1
    for step, seconds in summary["timings"].items():
        print(f"{step:<28} {seconds:6.1f} s")
    print(f"published {summary['published']}")
    print("data-quality findings: " + ", ".join(f"{k} {v}" for k, v in summary["findings"].items())
          + " (marts.data_quality_findings, data_quality_report.html)")
    return 0


def _run(years: list[int] | None) -> dict[str, object]:
    prepare_manifest()
    from dagster import DagsterInstance

    instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
    return refresh(instance, years)


def _status() -> int:
    from orchestration.publish import publication_status

    status = publication_status(warehouse_paths().publish_dir)
    print("\n".join(status.lines()))
    return 0 if status.agree else 1


if __name__ == "__main__":
    sys.exit(main())
