"""The command line re-parses the dbt project only when what dbt parse reads has changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from orchestration.dbt_manifest import prepare_manifest, project_fingerprint
from orchestration.resources import DBT_PROJECT_DIR


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


def test_manifest_is_parsed_again_only_when_the_fingerprint_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    prepare_manifest()
    assert prepare_manifest() is False  # nothing changed: no dbt parse
    monkeypatch.setenv("WAREHOUSE_UNREAD_BY_DBT", "1")  # not named in the project: no effect
    assert prepare_manifest() is False
    monkeypatch.setenv("WAREHOUSE_REFRESH_YEARS", "2016")  # read at run time only: no effect
    assert prepare_manifest() is False
    work_db = os.environ.get("WAREHOUSE_WORK_DB")
    monkeypatch.setenv("WAREHOUSE_WORK_DB", "/elsewhere/build.duckdb")  # profiles.yml reads it
    assert prepare_manifest() is True
    if work_db is None:
        monkeypatch.delenv("WAREHOUSE_WORK_DB")
    else:
        monkeypatch.setenv("WAREHOUSE_WORK_DB", work_db)
    assert prepare_manifest() is True
    assert (DBT_PROJECT_DIR / "target" / "manifest.json").exists()


def test_years_next_to_each_other_load_in_one_run() -> None:
    from orchestration.cli import _load_batches, _years_label

    partitions = ["2015", "2016", "2017", "2018", "2019", "2021", "2020"]  # 2020 registered last
    assert _load_batches(partitions, partitions) == [partitions]
    assert _load_batches(partitions, ["2016", "2017", "2019", "2020"]) == [["2016", "2017"], ["2019"], ["2020"]]
    assert _load_batches(partitions, []) == []
    assert _years_label(["2017", "2015", "2016"]) == "2015-2017"
    assert _years_label(["2016", "2019"]) == "2016,2019"


def test_a_full_refresh_loads_every_year_in_one_run_and_records_each_partition(bundled_warehouse) -> None:
    from dagster import AssetKey, DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(bundled_warehouse.dagster_home)) as instance:
        runs = instance.get_runs(RunsFilter(job_name="load_raw"))
        partitions = instance.get_materialized_partitions(AssetKey(["raw", "budget_lines"]))
    assert len(runs) == 1
    assert partitions == {*(str(y) for y in range(2015, 2021)), "2022"}  # 2022: the 池州 project form
