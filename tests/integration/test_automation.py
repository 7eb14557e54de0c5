"""The nightly schedule, the raw-file sensor and the declarative automation that follows a raw load,
evaluated against real Dagster instances and the real definitions."""

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
    build_schedule_context,
    build_sensor_context,
    evaluate_automation_conditions,
)
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from orchestration.contract import PROJECT_ROOT
from orchestration.definitions import build_definitions
from orchestration.partitions import all_keys


def test_definitions_group_assets_by_layer_with_descriptions():
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    groups = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        groups.setdefault(node.group_name, set()).add(key.path[0])
        assert node.description and not node.description.startswith("dbt model"), \
            f"{key.to_user_string()} has no description of its own"
    # The checks (models/quality) are ephemeral, inlined into marts.data_quality_findings: no assets.
    assert set(groups) == {"raw", "reference", "staging", "intermediate", "marts", "scores", "publish"}
    for layer in ("raw", "staging", "intermediate", "marts"):
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


def test_nightly_schedule_reloads_every_year_in_one_run_at_two_beijing_time(warehouse):
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("nightly_refresh_schedule")
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 2 * * *", "Asia/Shanghai")
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        tick = datetime(2026, 11, 30, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
        requests = schedule.evaluate_tick(build_schedule_context(
            instance=instance, scheduled_execution_time=tick, repository_def=defs.get_repository_def()))
    [run] = requests.run_requests
    keys = all_keys()
    assert (run.tags[ASSET_PARTITION_RANGE_START_TAG], run.tags[ASSET_PARTITION_RANGE_END_TAG]) == (keys[0], keys[-1])
    assert run.run_key == "nightly-20261130T0200"


def test_partitions_run_from_the_first_fiscal_year_to_the_last_finished_one():
    keys = all_keys()
    assert keys[0] == "2015" and keys[-1] == str(datetime.now(ZoneInfo("Asia/Shanghai")).year - 1)
    assert keys == [str(y) for y in range(int(keys[0]), int(keys[-1]) + 1)]


def test_raw_file_sensor_requests_the_years_whose_files_changed(warehouse):
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("raw_files_sensor")
    repo = defs.get_repository_def()
    warehouse.copy_seed()
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        first = sensor(build_sensor_context(instance=instance, repository_def=repo))
        assert [r.partition_key for r in first.run_requests] == ["2017"]

        quiet = sensor(build_sensor_context(instance=instance, cursor=first.cursor, repository_def=repo))
        assert quiet.run_requests == []

        path = warehouse.raw_dir / "2017/WH-DHZB/budget_lines.csv"
        path.write_text(path.read_text(encoding="utf-8").replace("130.84", "131.84"), encoding="utf-8")
        shutil.copytree(warehouse.raw_dir / "2017", warehouse.raw_dir / "2018")
        changed = sensor(build_sensor_context(instance=instance, cursor=first.cursor, repository_def=repo))
        assert sorted(r.partition_key for r in changed.run_requests) == ["2017", "2018"]

        # A year folder that leaves data/raw is a change too: its load removes what it held. A year
        # folder written in full-width digits is the same year. A year that has not ended yet (or lies
        # before the first fiscal year) is no partition: reported, not requested.
        shutil.rmtree(warehouse.raw_dir / "2018")
        shutil.copytree(warehouse.raw_dir / "2017", warehouse.raw_dir / "２０１９")
        shutil.copytree(warehouse.raw_dir / "2017", warehouse.raw_dir / str(int(all_keys()[-1]) + 1))
        gone = sensor(build_sensor_context(instance=instance, cursor=changed.cursor, repository_def=repo))
        assert sorted(r.partition_key for r in gone.run_requests) == ["2018", "2019"]


def partitions(subset) -> list:
    return subset.expensively_compute_asset_partitions()


def test_a_reload_of_one_year_rebuilds_that_year_and_the_years_that_read_it(bundled_warehouse, warehouse):
    """Declarative automation (in place of the run-status sensor): after the raw partition 2017 is reloaded,
    the automation sensor requests the dbt models for 2017, the next year too where a model reads the prior
    year (three-public year-on-year change) and everything downstream of it, and the score models and the
    publication for every year whose PEFA window (three years) reads one of those. (The CLI runs the union
    in one `dbt build`; automation asks per asset.) The bundled warehouse holds 2015-2022: a year no refresh
    built (no raw partition) is never requested."""
    warehouse.clone_from(bundled_warehouse)
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("transform_when_raw_changes")
    assert sensor.default_status.value == "RUNNING"
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        settled = evaluate_automation_conditions(defs, instance)
        assert settled.total_requested == 0  # a built warehouse: nothing to do
        assert defs.resolve_job_def("load_raw").execute_in_process(partition_key="2017", instance=instance).success
        after = evaluate_automation_conditions(defs, instance, cursor=settled.cursor)
    requested = {r.key.to_user_string(): sorted(p.partition_key for p in partitions(r.true_subset))
                 for r in after.results if r.true_subset.size}
    assert requested["staging/stg_reports__budget_lines"] == ["2017"]
    assert requested["intermediate/int_three_public__with_prior"] == ["2017", "2018"]
    assert requested["marts/three_public_expenses"] == ["2017", "2018"]
    assert requested["marts/project_execution"] == ["2017"]
    assert requested["marts/department_scores"] == ["2017", "2018", "2019", "2020"]  # PEFA windows
    assert requested["published_warehouse"] == ["2017", "2018", "2019", "2020"]
    assert not any(key.startswith(("raw/", "reference/")) for key in requested)


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
