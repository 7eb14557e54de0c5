"""Command line of the warehouse.

    python -m orchestration.cli prepare            # write dbt_project/target/manifest.json (dbt parse)
    python -m orchestration.cli run                # load every fiscal year, build the marts, publish them
    python -m orchestration.cli run --year 2016    # reload 2016, rebuild and republish what reads it
    python -m orchestration.cli status             # do the published DuckDB file and Parquet agree?
    python -m orchestration.cli sql                # the DuckDB command line, read-only on the published file
    python -m orchestration.cli docs               # the data dictionary page (dbt docs, static)
    python -m orchestration.cli templates          # write the clerks' XLSX templates to data/templates/
    python -m orchestration.cli validate PATH...   # check files against the raw data contract, load nothing

`run` prints one line per step with its time and a closing summary (quarantined files, findings by
severity, the published files); dbt's and Dagster's own lines go to a log file beside the working
database, which the summary names. `run` executes the same Dagster jobs the schedule and sensors launch,
in this process, against the Dagster instance in $DAGSTER_HOME (a temporary one when unset), so every
step is recorded as an asset materialization. One refresh runs at a time per working database: a second
one exits at once with status 75 and a one-line message (orchestration/refresh_lock.py). Each refresh
first marks failed the runs a killed refresh left in progress (orchestration/stale_runs.py).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

from orchestration import templates, validate
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


def _years_held(paths) -> list[int]:
    """Every year folder under data/raw, every year the working database still holds that has none any
    more (its load removes what it held: a year that leaves data/raw leaves the marts), and every year the
    published marts hold (a refresh that failed after the load still removes it from them)."""
    import duckdb

    from orchestration.publication import published_years
    from orchestration.raw_files import fiscal_years
    from orchestration.raw_load import loaded_years

    years = set(fiscal_years(paths.raw_dir)) | set(published_years(paths.publish_dir))
    if paths.work_db.exists():
        con = duckdb.connect(str(paths.work_db), read_only=True)
        try:
            years |= set(loaded_years(con))
        finally:
            con.close()
    return sorted(years)


# The steps of the transform-and-publish job, as the run summary names them.
STEP_LABELS = {"rule_set_tables": "rule sets",
               "warehouse_dbt_models": "dbt build (models, scores and tests)",
               "published_warehouse": "publish"}
LOGS_KEPT = 20


def _step_seconds(result) -> dict[str, float]:
    return {STEP_LABELS.get(event.step_key, event.step_key): event.step_success_data.duration_ms / 1000
            for event in result.all_events if event.is_step_success}


def refresh(instance, years: list[int] | None = None, progress: Callable[[str], None] | None = None,
            notice: Callable[[str], None] | None = None) -> dict[str, object]:
    """Load the given fiscal years (default: every year folder), then transform and publish: every
    year when no years are given, else only the given years and what depends on them.

    Holds the refresh lock (RefreshBusy when another process has it) and first marks failed the runs
    whose process died. Raises RefreshFailed naming the failing job; the published marts are then left
    as they were.
    """
    from orchestration.stale_runs import fail_dead_runs

    with refresh_lock(warehouse_paths().work_db):
        for message in fail_dead_runs(instance):
            (notice or (lambda line: print(line, file=sys.stderr)))(message)
        return _refresh(instance, years, progress or (lambda line: None))


def _range_tags(keys: list[str]) -> dict[str, str]:
    from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


def _refresh(instance, years: list[int] | None, progress: Callable[[str], None]) -> dict[str, object]:
    from orchestration.assets.rule_sets import RULE_SET_ASSETS
    from orchestration.assets.transform import changed_models, score_model_names
    from orchestration.definitions import build_definitions
    from orchestration.partitions import all_keys, span
    from orchestration.refresh import plan_transform
    from orchestration.scoring.rule_set_tables import rule_sets_changed
    from orchestration.stale_runs import process_tags

    defs = build_definitions()
    paths = warehouse_paths()
    partitions = all_keys()
    held = [str(y) for y in _years_held(paths)]
    outside = [k for k in held if k not in partitions]
    if outside:
        progress(f"not loaded (no fiscal-year partition): {', '.join(outside)}")
    # A full refresh runs the years from the first to the last year the warehouse holds: a partition
    # before or after them has no rows to build, and each one costs Dagster events on every asset. An
    # empty warehouse builds its (empty) tables in the last year's partition.
    keys = (span(held) or partitions[-1:]) if years is None else [str(y) for y in sorted(set(years))]
    unknown = [k for k in keys if k not in partitions]
    if unknown:
        raise RefreshFailed(f"no fiscal-year partition {', '.join(unknown)} (years {partitions[0]}-{partitions[-1]}; "
                            "orchestration/partitions.py)")
    quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
    timings: dict[str, float] = {}
    for batch in _load_batches(partitions, keys):  # one run per range of neighbouring years
        label = _years_label(batch)
        progress(f"loading the raw files of {label} ...")
        started = time.perf_counter()
        result = defs.resolve_job_def("load_raw").execute_in_process(
            instance=instance, raise_on_error=False, run_config=quiet, tags={**_range_tags(batch), **process_tags()})
        timings[f"load raw files {label}"] = time.perf_counter() - started
        if not result.success:
            raise RefreshFailed(f"loading fiscal year {label} failed (run {result.run_id}): "
                                f"{_failure_messages(result)}")
    # Changed dbt models (state:modified+ against the last build's manifest) are rebuilt for every year;
    # changed rule sets rescore (and republish) every year.
    changed = changed_models() if years is not None else []
    graph = defs.resolve_asset_graph()
    every_year = {k for k in graph.materializable_asset_keys if k.path[0] != "raw"
                  and (changed is None or (changed and k.path[-1] in changed))}
    if years is not None and rule_sets_changed(paths):
        progress("the rule sets changed since the last build: every year is rescored")
        scoring = score_model_names()
        every_year |= {k for k in graph.materializable_asset_keys
                       if k.path[-1] in scoring or k.path == ["published_warehouse"]}
    findings = {}
    # "Every year" and the reach of later years' reads stop at the years the warehouse holds (or is given).
    years_in_reach = span(held + keys)
    for run in plan_transform(defs, keys, every_year, always=RULE_SET_ASSETS.values(), within=years_in_reach):
        progress(f"building, scoring and publishing {run.label} ...")
        started = time.perf_counter()
        result = defs.resolve_job_def("transform_and_publish").execute_in_process(
            instance=instance, raise_on_error=False, run_config=quiet, asset_selection=run.asset_keys,
            tags={**_range_tags(run.partition_keys), **process_tags()})
        for step, seconds in _step_seconds(result).items():
            timings[f"{step} {run.label}"] = seconds
        timings[f"transform run {run.label}, in all"] = time.perf_counter() - started
        if not result.success:
            raise RefreshFailed(f"transform and publish failed (run {result.run_id}); published marts unchanged: "
                                f"{_failure_messages(result)}")
        for event in result.all_events:
            if event.is_step_materialization and event.asset_key and event.asset_key.path == ["published_warehouse"]:
                metadata = event.step_materialization_data.materialization.metadata
                findings = {k.removeprefix("findings."): v.value for k, v in metadata.items()
                            if k.startswith("findings.")}
    return {"years": keys if years is not None else [k for k in held if k in partitions], "timings": timings,
            "published": str(paths.published_db), "findings": findings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="dbt parse (when the project changed): write the manifest the Dagster "
                   "definitions read")
    run = sub.add_parser("run", help="load every fiscal year, build and publish the marts")
    run.add_argument("--year", type=int, action="append",
                     help="reload only this fiscal year and rebuild only what reads it (repeatable)")
    templates.add_arguments(sub.add_parser("templates", help="write one XLSX template per file kind"))
    validate.add_arguments(sub.add_parser("validate", description=validate.DESCRIPTION, help="check CSV or XLSX "
                                          "files (or folders) against the raw data contract, loading nothing"))
    sub.add_parser("docs", help="the data dictionary as one offline HTML page (dbt docs generate --static) "
                   "in data/marts/data_dictionary.html (make docs)")
    sub.add_parser("sql", help="the DuckDB command line, read-only on the published file (make sql)")
    sub.add_parser("status", help="whether the published DuckDB file and the Parquet files are the same "
                   "publication (exit status 1 when they are not)")
    args = parser.parse_args(argv)

    if args.command == "templates":
        return templates.run(args)
    if args.command == "validate":
        return validate.run(args)
    if args.command == "status":
        return _status()
    if args.command == "sql":
        return _sql()
    if args.command == "docs":
        from orchestration.data_docs import write_data_docs
        from orchestration.dbt_manifest import prepare_manifest

        prepare_manifest()
        print(f"data dictionary: {write_data_docs()}")
        return 0
    if args.command == "prepare":
        from orchestration.dbt_manifest import prepare_manifest  # Dagster and dbt: imported where needed

        parsed = prepare_manifest()
        print("dbt manifest: parsed (the dbt project or its environment changed)" if parsed
              else "dbt manifest: up to date")
        return 0
    paths = warehouse_paths()
    log = _new_log(paths.work_db.parent / "logs")
    started = time.perf_counter()
    try:
        with refresh_lock(paths.work_db):  # before dbt parse and Dagster: a second refresh ends at once
            summary = _run(args.year, log)
    except RefreshBusy as exc:
        print(exc, file=sys.stderr)
        return BUSY_EXIT_CODE
    except RefreshFailed as exc:
        print(f"refresh failed: {exc}\nlog: {log}", file=sys.stderr)
        return 1
    from orchestration.run_summary import summary_lines

    for step, seconds in summary["timings"].items():
        print(f"  {step:<36} {seconds:6.1f} s")
    print(f"  {'refresh, in all':<36} {time.perf_counter() - started:6.1f} s")
    print("\n".join(summary_lines(paths.publish_dir, paths.raw_dir, log)))
    return 0


def _new_log(folder: Path) -> Path:
    """A new log file for one refresh; the oldest beyond LOGS_KEPT are removed."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("refresh-*.log"))[:-LOGS_KEPT]:
        old.unlink(missing_ok=True)
    return folder / f"refresh-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}.log"


@contextmanager
def _output_to(log: Path) -> Iterator[tuple[Callable[[str], None], Callable[[str], None]]]:
    """Send what dbt and Dagster print to the log file; yield two functions that print a line to the
    terminal (and to the log): a progress line on standard output, a notice on standard error."""
    terminal, terminal_errors = sys.stdout, sys.stderr
    with log.open("a", encoding="utf-8") as handle, redirect_stdout(handle), redirect_stderr(handle):
        def to_terminal(stream):
            def write(line: str) -> None:
                print(line, file=stream, flush=True)
                print(line, file=handle, flush=True)
            return write

        yield to_terminal(terminal), to_terminal(terminal_errors)


def _run(years: list[int] | None, log: Path) -> dict[str, object]:
    with _output_to(log) as (progress, notice):
        progress("parsing the dbt project if it changed ...")
        from orchestration.dbt_manifest import prepare_manifest

        prepare_manifest()
        publication = _nothing_to_do(years)
        if publication is not None:
            progress(f"nothing changed since publication {publication}: the published marts are current "
                     "(WAREHOUSE_RELOAD_UNCHANGED=1 refreshes anyway)")
            return {"years": [], "timings": {}, "published": str(warehouse_paths().published_db), "findings": {},
                    "up_to_date": publication}
        from dagster import DagsterInstance

        instance = DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else DagsterInstance.ephemeral()
        return refresh(instance, years, progress, notice)


def _nothing_to_do(years: list[int] | None) -> str | None:
    """The publication in place when a refresh of these years (None: every year held) has nothing to do
    (orchestration/up_to_date.py); checked before Dagster is imported, which alone costs seconds."""
    from orchestration.up_to_date import current_publication, partition_years

    paths = warehouse_paths()
    partitions = partition_years()
    if years is None:
        held = [y for y in _years_held(paths) if y in partitions]
        years = list(range(min(held), max(held) + 1)) if held else []
    return current_publication(paths, sorted(set(years)))


def _sql() -> int:
    """The DuckDB command line (package duckdb-cli), read-only on the published file."""
    published = warehouse_paths().published_db
    if not published.exists():
        print(f"{published} does not exist yet: run `make run` first", file=sys.stderr)
        return 1
    executable = Path(sys.executable).with_name("duckdb")
    os.execv(executable, [str(executable), "-readonly", str(published)])


def _status() -> int:
    from orchestration.publication import publication_status

    status = publication_status(warehouse_paths().publish_dir)
    print("\n".join(status.lines()))
    return 0 if status.agree else 1


if __name__ == "__main__":
    sys.exit(main())
