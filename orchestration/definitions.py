"""The one Definitions object of the warehouse (`dagster dev -m orchestration.definitions`)."""

from __future__ import annotations

from dagster import Definitions, in_process_executor

from orchestration.assets.publish import published_warehouse, transform_automation_sensor, transform_publish_job
from orchestration.assets.raw import load_raw_job, nightly_refresh_schedule, raw_files_sensor, raw_reports
from orchestration.assets.rule_sets import rule_set_tables
from orchestration.assets.transform import warehouse_dbt_models
from orchestration.resources import build_resources
from orchestration.stale_runs import dead_runs_sensor


def build_definitions() -> Definitions:
    return Definitions(
        assets=[raw_reports, rule_set_tables, warehouse_dbt_models, published_warehouse],
        jobs=[load_raw_job, transform_publish_job],
        schedules=[nightly_refresh_schedule],
        sensors=[raw_files_sensor, transform_automation_sensor, dead_runs_sensor],
        resources=build_resources(),
        # Steps run in the run's own process: starting a subprocess per step costs 5-19 s here.
        executor=in_process_executor,
    )


defs = build_definitions()
