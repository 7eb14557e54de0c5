"""The warehouse's dbt resource skips two start-up costs of dagster-dbt without changing what it runs."""

from __future__ import annotations

import re
import subprocess

from dagster_dbt import DbtCliResource
from packaging import version

from orchestration.resources import DBT_EXECUTABLE, WarehouseDbtResource, build_resources


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
