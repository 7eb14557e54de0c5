"""The warehouse's dbt resource skips two start-up costs of dagster-dbt without changing what it runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.resources import WarehouseDbtResource, build_resources
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR


def test_the_overridden_members_still_exist_in_dagster_dbt() -> None:
    # If dagster-dbt renames them, the overrides stop taking effect and each refresh is ~4 s slower again.
    for name in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert name in vars(DbtCliResource), name


def test_the_dbt_version_is_the_one_the_executable_reports() -> None:
    resource = build_resources()["dbt"]
    assert isinstance(resource, WarehouseDbtResource)
    assert resource.dbt_executable == str(DBT_EXECUTABLE)
    reported = subprocess.run([str(DBT_EXECUTABLE), "--version"], capture_output=True, text=True, check=True).stdout
    installed = re.search(r"installed:\s*(\d+\.\d+\.\d+)", reported)
    assert installed, reported
    assert resource._cli_version == version.parse(installed.group(1))
    assert resource._cli_version.major < 2  # dbt Core, which dagster-dbt drives as it does without the override


def test_no_dbt_adapter_is_opened_in_the_orchestration_process() -> None:
    assert build_resources()["dbt"]._initialize_dbt_core_adapter(["build"]) is None


def test_a_working_database_in_another_folder_reuses_dbts_last_parse(tmp_path: Path) -> None:
    """dbt's partial-parse key leaves out the working database's folder (orchestration/dbt_command.py): a
    warehouse elsewhere parses partially, where plain dbt parses everything again (3-4 s a dbt command)."""
    from dbt.adapters.duckdb.credentials import DuckDBCredentials

    from orchestration.dbt_command import UNPARSED_KEYS

    keys = DuckDBCredentials._connection_keys(DuckDBCredentials(path="x.duckdb", database="x", schema="main"))
    assert set(UNPARSED_KEYS) <= set(keys) and "database" in keys  # the stem (database) stays in the key
    target = tmp_path / "target"
    target.mkdir()
    shutil.copy(DBT_PROJECT_DIR / "target" / "partial_parse.msgpack", target)  # as dagster-dbt does for each run
    env = {**os.environ, "WAREHOUSE_WORK_DB": str(tmp_path / "elsewhere" / "build.duckdb")}
    parsed = subprocess.run(
        [str(DBT_EXECUTABLE), "parse", "--no-write-json", "--log-format", "json", "--log-level", "debug",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)],
        env=env, capture_output=True, text=True, check=True).stdout
    events = {json.loads(line)["info"]["name"] for line in parsed.splitlines() if line.startswith("{")}
    assert "UnableToPartialParse" not in events, parsed[-2000:]
    assert "PartialParsingEnabled" in events or "PartialParsingSkipParsing" in events, sorted(events)


def test_a_change_of_one_kind_leaves_out_the_models_it_does_not_reach():
    """Which dbt models read a changed source, by the project's manifest: budget lines reach the execution and
    score models, not the indicators' staging; nothing changed reaches nothing; an unknown change, everything."""
    from orchestration.assets.transform import model_names, models_not_reached

    left = set(models_not_reached({"budget_lines"}))
    assert {"stg_reports__indicators", "int_indicators__completion", "stg_reports__three_public"} <= left
    assert not left & {"stg_reports__budget_lines", "int_budget_lines__execution", "project_execution",
                       "department_execution", "scr_entity_scores", "department_scores", "data_quality_findings"}
    assert "data_quality_findings" not in models_not_reached({"_findings"})
    assert set(models_not_reached(set())) == model_names()
    assert models_not_reached(None) == []
