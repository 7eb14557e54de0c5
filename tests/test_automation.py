"""The nightly schedule, the raw-file sensor and the transform-after-loads sensor, evaluated
against real Dagster instances and the real definitions."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from dagster import (
    AssetKey,
    DagsterInstance,
    RunRequest,
    build_run_status_sensor_context,
    build_schedule_context,
    build_sensor_context,
)

from orchestration.assets.raw import REFRESH_BATCH_TAG
from orchestration.contract import PROJECT_ROOT
from orchestration.definitions import build_definitions
from orchestration.refresh import REFRESH_YEARS_TAG


def test_definitions_group_assets_by_layer_with_descriptions():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups.setdefault(node.group_name, set()).add(key.path[0])
        assert node.description and not node.description.startswith("dbt model"), \
            f"{key.to_user_string()} has no description of its own"
    assert set(groups) == {"raw", "reference", "staging", "intermediate", "quality", "marts", "scores", "publish"}
    for layer in ("raw", "staging", "intermediate", "quality", "marts"):
        assert groups[layer] == {layer}
    # dbt sources resolve to the raw assets: staging depends on raw, publish on every mart.
    deps = {k.to_user_string() for k in graph.get(AssetKey(["staging", "stg_reports__budget_lines"])).parent_keys}
    assert "raw/budget_lines" in deps
    publish_deps = {k.to_user_string() for k in graph.get(AssetKey(["published_warehouse"])).parent_keys}
    assert publish_deps == {
        f"marts/{m}" for m in ("indicator_scores", "department_scores", "project_scores", "department_score_trends",
                               "data_quality_findings", "department_execution", "department_indicators",
                               "indicator_completion", "project_execution", "self_evaluation",
                               "three_public_expenses", "project_forms", "indicator_scores_stated",
                               "funding_sources", "scored_forms", "departments")}


def test_nightly_schedule_reloads_every_year_at_two_beijing_time(warehouse):
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Shanghai")
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        instance.add_dynamic_partitions("fiscal_year", ["2017", "2018"])
        tick = datetime(2026, 11, 30, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        requests = schedule.evaluate_tick(build_schedule_context(
            instance=instance, scheduled_execution_time=tick, repository_def=defs.get_repository_def()))
    runs = requests.run_requests
    assert [r.partition_key for r in runs] == ["2017", "2018"]
    assert {r.tags[REFRESH_BATCH_TAG] for r in runs} == {"nightly-20261130T0200"}


def test_raw_file_sensor_sees_added_and_changed_files(warehouse):
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("raw_files_sensor")
    repo = defs.get_repository_def()
    warehouse.copy_seed()
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        first = sensor(build_sensor_context(instance=instance, repository_def=repo))
        assert [r.partition_key for r in first.run_requests] == ["2017"]
        assert [req.partition_keys for req in first.dynamic_partitions_requests] == [["2017"]]

        quiet = sensor(build_sensor_context(instance=instance, cursor=first.cursor, repository_def=repo))
        assert quiet.run_requests == []

        path = warehouse.raw_dir / "2017/WH-DHZB/budget_lines.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("130.84", "131.84"), encoding="utf-8")
        shutil.copytree(warehouse.raw_dir / "2017", warehouse.raw_dir / "2018")
        instance.add_dynamic_partitions("fiscal_year", ["2017"])
        changed = sensor(build_sensor_context(instance=instance, cursor=first.cursor, repository_def=repo))
        assert sorted(r.partition_key for r in changed.run_requests) == ["2017", "2018"]
        assert [req.partition_keys for req in changed.dynamic_partitions_requests] == [["2018"]]
        assert len({r.tags[REFRESH_BATCH_TAG] for r in changed.run_requests}) == 1

        # A year folder that leaves data/raw is a change too: its load removes what it held. A year
        # folder written in full-width digits is the same year, registered once.
        instance.add_dynamic_partitions("fiscal_year", ["2018"])
        shutil.rmtree(warehouse.raw_dir / "2018")
        shutil.copytree(warehouse.raw_dir / "2017", warehouse.raw_dir / "２０１９")
        gone = sensor(build_sensor_context(instance=instance, cursor=changed.cursor, repository_def=repo))
        assert sorted(r.partition_key for r in gone.run_requests) == ["2018", "2019"]
        assert [req.partition_keys for req in gone.dynamic_partitions_requests] == [["2019"]]


def test_transform_starts_once_the_batch_of_loads_has_finished(warehouse):
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("transform_after_raw_loads")
    warehouse.copy_seed()
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        instance.add_dynamic_partitions("fiscal_year", ["2017"])
        result = defs.resolve_job_def("load_raw").execute_in_process(
            partition_key="2017", instance=instance, tags={REFRESH_BATCH_TAG: "nightly-test"})
        assert result.success
        context = build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=result.get_run_success_event(),
            dagster_instance=instance, dagster_run=result.dagster_run,
        )
        request = sensor(context)
        # A batch started by the raw-files sensor rebuilds only the years it reloaded.
        result = defs.resolve_job_def("load_raw").execute_in_process(
            partition_key="2017", instance=instance, tags={REFRESH_BATCH_TAG: "files-2017:abc"})
        files_request = sensor(build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_event=result.get_run_success_event(),
            dagster_instance=instance, dagster_run=result.dagster_run,
        ))
    assert isinstance(request, RunRequest)
    assert sensor.job_name == "transform_and_publish"  # the job the request launches
    assert request.run_key == "transform:nightly-test"
    assert request.tags[REFRESH_YEARS_TAG] == "all"
    assert files_request.tags[REFRESH_YEARS_TAG] == "2017"


def test_dagster_loads_the_code_location_as_dagster_dev_does():
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run([str(dagster), "definitions", "validate", "-m", "orchestration.definitions"],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_the_daemon_sweeps_runs_of_a_dead_process_too(tmp_path):
    """The sensor that keeps the run queue moving when no command line runs: a run left STARTED by a
    killed process is marked failed at its next evaluation."""
    import subprocess

    from dagster import DagsterRun, DagsterRunStatus
    from dagster._core.utils import make_new_run_id

    from orchestration.stale_runs import RUN_HOST_TAG, RUN_PID_TAG, process_tags

    defs = build_definitions()
    sensor = defs.resolve_sensor_def("dead_runs_sensor")
    dead = subprocess.Popen(["true"])
    dead.wait()
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        tags = {RUN_PID_TAG: str(dead.pid), RUN_HOST_TAG: process_tags()[RUN_HOST_TAG]}
        stuck = instance.add_run(DagsterRun(job_name="load_raw", run_id=make_new_run_id(),
                                            status=DagsterRunStatus.STARTED, tags=tags))
        result = sensor(build_sensor_context(instance=instance, repository_def=defs.get_repository_def()))
        assert instance.get_run_by_id(stuck.run_id).status == DagsterRunStatus.FAILURE
    assert f"(pid {dead.pid} on" in str(result)
    assert sensor.default_status.value == "RUNNING"
