"""The command line re-parses the dbt project only when what dbt parse reads has changed."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestration.dbt_manifest import prepare_manifest, project_fingerprint
from orchestration.settings import DBT_PROJECT_DIR
from orchestration.stale_runs import RUN_HOST_TAG, RUN_PID_TAG


def test_fingerprint_follows_every_model_macro_and_setting(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    before = project_fingerprint(project)
    assert project_fingerprint(project) == before
    for relative in ("models/marts/project_execution.sql", "macros/parsing.sql", "dbt_project.yml",
                     "seeds/units.csv"):
        path = project / relative
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert project_fingerprint(project) != before, relative
        path.write_bytes(original)
    assert project_fingerprint(project) == before


def test_manifest_is_parsed_again_only_when_the_fingerprint_changes(monkeypatch: pytest.MonkeyPatch,
                                                                      tmp_path: Path) -> None:
    # A copy of the project: the checkout's manifest stays as every other test (and process) reads it. Its
    # target/ too (pytest_configure prepared it): one dbt parse fewer, the parse below shows the rest.
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("logs", "compiled", "run"))
    assert prepare_manifest(project_dir=project) is False  # nothing changed: no dbt parse
    monkeypatch.setenv("WAREHOUSE_UNREAD_BY_DBT", "1")  # not named in the project: no effect
    assert prepare_manifest(project_dir=project) is False
    monkeypatch.setenv("WAREHOUSE_WORK_DB", "/elsewhere/build.duckdb")  # another folder: the same manifest
    assert prepare_manifest(project_dir=project) is False
    monkeypatch.setenv("WAREHOUSE_WORK_DB", "/elsewhere/other.duckdb")  # the database's name is the stem
    assert prepare_manifest(project_dir=project) is True
    assert (project / "target" / "manifest.json").exists()


def test_years_next_to_each_other_load_in_one_run() -> None:
    from orchestration.cli import _load_batches, _years_label

    partitions = ["2015", "2016", "2017", "2018", "2019", "2020", "2021"]
    assert _load_batches(partitions, partitions) == [partitions]
    assert _load_batches(partitions, ["2016", "2017", "2019", "2021"]) == [["2016", "2017"], ["2019"], ["2021"]]
    assert _load_batches(partitions, []) == []
    assert _years_label(["2017", "2015", "2016"]) == "2015-2017"
    assert _years_label(["2016", "2019"]) == "2016,2019"


def test_a_full_refresh_loads_every_year_in_one_run_and_records_each_partition(bundled_warehouse) -> None:
    """From the first to the last year the warehouse holds (2021, between them, has no folder: loaded
    empty); the partitions before and after them have no rows to build and are left alone."""
    from dagster import AssetKey, DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(bundled_warehouse.dagster_home)) as instance:
        runs = instance.get_runs(RunsFilter(job_name="load_raw"))
        partitions = instance.get_materialized_partitions(AssetKey(["raw", "budget_lines"]))
        published = instance.get_materialized_partitions(AssetKey(["published_warehouse"]))
    assert len(runs) == 1
    assert partitions == published == {str(y) for y in range(2015, 2023)}


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from orchestration.refresh_lock import refresh_lock
    with refresh_lock(Path(sys.argv[1])):
        print("held", flush=True)
        time.sleep(600)
""")


def test_the_refresh_lock_is_exclusive_across_processes_reentrant_within_one_and_freed_by_a_kill(
        tmp_path: Path) -> None:
    from dagster import Failure

    from orchestration.refresh_lock import RefreshBusy, is_locked, refresh_lock
    from orchestration.resources import WorkingDatabaseResource

    work_db = tmp_path / "work" / "build.duckdb"
    with refresh_lock(work_db), refresh_lock(work_db):  # the CLI holds it, then its in-process steps
        assert is_locked(work_db)
    assert not is_locked(work_db)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(work_db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        busy = rf"^another refresh is running \(pid {holder.pid} since \d\d:\d\d:\d\d\); try again when it ends$"
        with pytest.raises(RefreshBusy, match=busy):
            with refresh_lock(work_db):
                pass
        # A step of a run: one line, no DuckDB lock error.
        with pytest.raises(Failure, match=busy):
            with WorkingDatabaseResource(database=str(work_db)).get_connection():
                pass
        # A second refresh from the command line: exit status 75 and one line.
        env = {**os.environ, "WAREHOUSE_WORK_DB": str(work_db), "WAREHOUSE_RAW_DIR": str(tmp_path / "raw"),
               "WAREHOUSE_PUBLISH_DIR": str(tmp_path / "marts"), "DAGSTER_HOME": str(tmp_path / "dagster_home")}
        second = subprocess.run([sys.executable, "-m", "orchestration.cli", "run"], env=env, capture_output=True,
                                text=True, timeout=120)
        assert second.returncode == 75
        assert re.match(busy, second.stderr.strip()) and second.stderr.count("\n") == 1, second.stderr
    finally:
        holder.kill()  # SIGKILL: the kernel releases the lock
        holder.wait()
    assert not is_locked(work_db)
    with refresh_lock(work_db):
        pass


def test_runs_left_in_progress_by_a_dead_process_are_marked_failed(tmp_path: Path) -> None:
    from dagster import DagsterInstance, DagsterRun, DagsterRunStatus
    from dagster._core.events import EngineEventData
    from dagster._core.utils import make_new_run_id

    from orchestration.stale_runs import fail_dead_runs, process_tags

    dead = subprocess.Popen(["true"])
    dead.wait()
    alive = subprocess.Popen(["sleep", "60"])
    here = process_tags()[RUN_HOST_TAG]
    try:
        with DagsterInstance.from_config(str(tmp_path)) as instance:  # default run launcher
            def run(status: DagsterRunStatus, pid: int | None = None, host: str = here) -> DagsterRun:
                tags = {} if pid is None else {RUN_PID_TAG: str(pid), RUN_HOST_TAG: host}
                return instance.add_run(DagsterRun(job_name="load_raw", run_id=make_new_run_id(), status=status,
                                                   tags=tags))

            killed_cli = run(DagsterRunStatus.STARTED, dead.pid)
            running_cli = run(DagsterRunStatus.STARTED, alive.pid)
            elsewhere = run(DagsterRunStatus.STARTED, dead.pid, host="elsewhere")
            canceling = run(DagsterRunStatus.CANCELING, dead.pid)
            launched = run(DagsterRunStatus.STARTED)  # by the DefaultRunLauncher: its worker's pid in an event
            instance.report_engine_event(f"Started process for run (pid: {dead.pid}).", launched,
                                         EngineEventData.in_process(dead.pid))
            starting = run(DagsterRunStatus.STARTING)  # no worker yet: left to run monitoring's start timeout
            messages = fail_dead_runs(instance)
            status = {r.run_id: instance.get_run_by_id(r.run_id).status
                      for r in (killed_cli, running_cli, elsewhere, canceling, launched, starting)}
    finally:
        alive.kill()
        alive.wait()
    assert status == {killed_cli.run_id: DagsterRunStatus.FAILURE, running_cli.run_id: DagsterRunStatus.STARTED,
                      elsewhere.run_id: DagsterRunStatus.STARTED, canceling.run_id: DagsterRunStatus.FAILURE,
                      launched.run_id: DagsterRunStatus.FAILURE, starting.run_id: DagsterRunStatus.STARTING}
    assert len(messages) == 3 and all(f"(pid {dead.pid} on {here}) is gone" in m for m in messages)


def test_a_full_refresh_covers_every_year_the_raw_folder_the_working_database_or_the_published_file_holds(
        seed_copy) -> None:
    """A year that left data/raw is refreshed (emptied) while the working database or the published marts
    still hold it, so that a refresh which failed after the load still removes it from the marts."""
    import shutil

    from orchestration.cli import _years_held
    from orchestration.partitions import span
    from orchestration.settings import warehouse_paths

    paths = warehouse_paths()
    assert _years_held(paths) == [2017]
    shutil.rmtree(seed_copy.raw_dir / "2017")
    assert _years_held(paths) == [2017]  # the working database holds it
    seed_copy.work_db.unlink()
    assert _years_held(paths) == [2017]  # the published file holds it
    (seed_copy.raw_dir / "2019").mkdir()
    assert _years_held(paths) == [2017, 2019]
    assert span(["2019", "2017"]) == ["2017", "2018", "2019"]
    assert span(["2030"]) == []  # no partition
