"""dbt layers (reference seeds, staging, intermediate, marts) as Dagster assets."""


import json
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration import fault_points
from orchestration.contract import load_contract
from orchestration.dbt_manifest import project_fingerprint
from orchestration.raw_load import ensure_raw_schema
from orchestration.refresh import (
    DBT_STEP,
    REFRESH_YEARS_ENV,
    SCORES_STEP,
    last_fingerprint,
    record_step,
    refresh_years,
    years_rewritten,
)
from orchestration.resources import DBT_PROJECT_DIR, WorkingDatabaseResource
from orchestration.scoring.rule_set_tables import rule_sets_fingerprint, years_read_back

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

LAYERS = ("staging", "intermediate", "quality", "marts", "scores")
# How many later years read a year's rows (dbt_project.yml vars, used by macros/by_fiscal_year.sql).
DBT_YEARS_READ_FORWARD = int(yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
                             ["vars"]["years_read_forward"])


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer and keys them <layer>/<model>, as the schemas are named."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        layer = props["fqn"][1] if props["resource_type"] == "model" and props["fqn"][1] in LAYERS else "reference"
        if layer == "scores":  # the score marts are built in the marts schema, their helpers in scores
            layer = props["schema"]
        return spec.replace_attributes(key=AssetKey([layer, props["name"]]), group_name=layer)


def mart_names(manifest_path: Path | None = None) -> list[str]:
    manifest = json.loads((manifest_path or dbt_project.manifest_path).read_text(encoding="utf-8"))
    return sorted(
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"  # models/marts and the score marts
    )


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=LayeredTranslator())
def warehouse_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: WorkingDatabaseResource):
    """dbt build: seeds, staging, intermediate, marts and score models with their tests. The tables are
    rebuilt for the run's refresh years only when it names some and the dbt project and the rule sets are
    the ones of the last build; otherwise every year is rebuilt."""
    with duckdb.refresh_lock():  # dbt writes the working database from its own process
        yield from _dbt_build(context, dbt, duckdb)


def _dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: WorkingDatabaseResource):
    years = refresh_years(context.run.tags)
    with duckdb.get_connection() as con:  # an empty warehouse (no year loaded yet) still builds, empty
        ensure_raw_schema(con, load_contract())
        # The score models read the rule sets (reference.rule_set*): other rule sets rescore every year.
        fingerprint = f"{project_fingerprint()} {rule_sets_fingerprint(con)}"
        back = years_read_back(con)
        if years is not None and last_fingerprint(con, DBT_STEP) != fingerprint:
            context.log.info("the dbt project or the rule sets changed since the last build: every fiscal year "
                             "is rebuilt")
            years = None
    # The years reach macros/by_fiscal_year.sql through the environment of the dbt process (dagster-dbt
    # passes os.environ): unlike --vars, that does not make dbt parse the whole project again.
    with environment(REFRESH_YEARS_ENV, "" if years is None else ",".join(str(y) for y in years)):
        invocation = dbt.cli(["build"], context=context)
    try:
        for event in invocation.stream():
            yield event
            fault_points.reached(fault_points.DBT_RUNNING)
    finally:
        # dagster-dbt leaves a target/<run> folder per invocation; the manifest stays in target/.
        shutil.rmtree(invocation.target_path, ignore_errors=True)
    with duckdb.get_connection() as con:
        rewritten = years_rewritten(years, DBT_YEARS_READ_FORWARD)
        record_step(con, context.run.run_id, DBT_STEP, rewritten, fingerprint)
        # The score marts are rebuilt whole; their rows change in the years that read a rewritten year.
        record_step(con, context.run.run_id, SCORES_STEP, years_rewritten(rewritten, back))


@contextmanager
def environment(name: str, value: str) -> Iterator[None]:
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = previous
