"""dbt layers (reference seeds, staging, intermediate, marts) as Dagster assets, and the sensor
that starts the transform-and-publish run once a batch of raw loads has finished."""


import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DagsterRunStatus,
    RunRequest,
    RunsFilter,
    SkipReason,
    run_status_sensor,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration.assets.raw import REFRESH_BATCH_TAG, load_raw_job
from orchestration.resources import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

LAYERS = ("staging", "intermediate", "marts")


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer and keys them <layer>/<model>, as the schemas are named."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        layer = props["fqn"][1] if props["resource_type"] == "model" and props["fqn"][1] in LAYERS else "reference"
        return spec.replace_attributes(key=AssetKey([layer, props["name"]]), group_name=layer)


def mart_names(manifest_path: Path | None = None) -> list[str]:
    manifest = json.loads((manifest_path or dbt_project.manifest_path).read_text(encoding="utf-8"))
    return sorted(
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1] == "marts"
    )


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=LayeredTranslator())
def warehouse_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """dbt build: seeds, staging, intermediate and marts models with their tests."""
    invocation = dbt.cli(["build"], context=context)
    try:
        yield from invocation.stream()
    finally:
        # dagster-dbt leaves a target/<run> folder per invocation; the manifest stays in target/.
        shutil.rmtree(invocation.target_path, ignore_errors=True)


def transform_sensor_for(job_name: str):
    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS,
        monitored_jobs=[load_raw_job],
        request_job=None,
        name="transform_after_raw_loads",
        description="When the last raw load of a refresh batch succeeds, starts one transform-and-publish run.",
    )
    def transform_after_raw_loads(context):
        batch = context.dagster_run.tags.get(REFRESH_BATCH_TAG)
        if batch is None:
            return SkipReason("load run is not part of a refresh batch")
        pending = context.instance.get_runs(RunsFilter(
            job_name=load_raw_job.name,
            tags={REFRESH_BATCH_TAG: batch},
            statuses=[DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING,
                      DagsterRunStatus.STARTED],
        ))
        if pending:
            return SkipReason(f"{len(pending)} load run(s) of batch {batch} still running")
        return RunRequest(run_key=f"transform:{batch}", job_name=job_name, tags={REFRESH_BATCH_TAG: batch})

    return transform_after_raw_loads
