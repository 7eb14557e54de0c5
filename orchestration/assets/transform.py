"""dbt layers (reference seeds, staging, intermediate, marts) as Dagster assets."""


import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    AutomationCondition,
    MaterializeResult,
    PartitionMapping,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from orchestration import fault_points
from orchestration.contract import load_contract
from orchestration.dbt_manifest import (
    built_from_current_manifest,
    built_manifest,
    in_dependency_order,
    model_names,
    models_not_reached,
    read_manifest,
    scratch_target,
    seed_names,
    state_dir,
)
from orchestration.partitions import AFTER_UPSTREAM, SINGLE_RUN, fiscal_years, reads_years_back, years_of
from orchestration.raw_load import ensure_raw_schema
from orchestration.refresh_scope import changed_kinds, finish_build, reset_scope, write_scope
from orchestration.resources import WorkingDatabaseResource
from orchestration.scoring.rule_set_tables import rule_sets_years_read_back
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from orchestration.spark_export import export_sources
from orchestration.spark_target import SparkFolders, dbt_target, import_built_tables, spark_environment

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

LAYERS = ("staging", "intermediate", "quality", "marts", "scores")
# dbt_project/selectors.yml: the models changed since that build (state:modified) and what reads them.
CHANGED_SELECTOR = "changed_since_last_build"
UNCHANGED = "not rebuilt: none of its inputs changed since its last build (orchestration/refresh_scope.py)"
# Every dbt build of a refresh writes no file log and no JSON artifacts: both would go to the invocation's
# target folder, removed after it (dbt's events reach Dagster's log through stdout). dbt's debug file log
# (a line per query, its four threads waiting on one lock) cost about 0.7 s a build, the artifacts 0.3 s.
QUIET_BUILD = ["--log-level-file", "none", "--no-write-json"]


def _folder(props: Mapping[str, Any]) -> str | None:
    """The model's folder under models/ (its layer); None for seeds and sources."""
    return props["fqn"][1] if props.get("resource_type") == "model" and len(props["fqn"]) > 2 else None


# How many earlier years a year's scores read, under the rule sets of this code location (the partition
# mapping of the score models' inputs; a malformed rule set fails its own asset, with its file and line).
SCORES_READ_BACK = rule_sets_years_read_back()


class LayeredTranslator(DagsterDbtTranslator):
    """Groups dbt assets by layer and keys them <layer>/<model>, as the schemas are named. A model that
    reads earlier years of its inputs (meta reads_prior_years: N) maps them with a time-window mapping."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            return spec
        layer = props["fqn"][1] if props["resource_type"] == "model" and props["fqn"][1] in LAYERS else "reference"
        if layer == "scores":  # the score marts are built in the marts schema, their helpers in scores
            layer = props["schema"]
        return spec.replace_attributes(key=AssetKey([layer, props["name"]]), group_name=layer)

    def get_partition_mapping(self, dbt_resource_props: Mapping[str, Any],
                              dbt_parent_resource_props: Mapping[str, Any]) -> PartitionMapping | None:
        if _folder(dbt_resource_props) == "scores" and _folder(dbt_parent_resource_props) not in ("scores", None):
            # A year's scores read the years their PEFA window and year-on-year change reach back to.
            return reads_years_back(SCORES_READ_BACK)
        back = int((dbt_resource_props.get("config", {}).get("meta") or {}).get("reads_prior_years", 0))
        return reads_years_back(back) if back else None

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> AutomationCondition | None:
        return AFTER_UPSTREAM


def mart_names(manifest_path: Path | None = None) -> list[str]:
    manifest = read_manifest(manifest_path or dbt_project.manifest_path)
    return sorted(
        node["name"] for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"  # models/marts and the score marts
    )


def score_model_names(manifest_path: Path | None = None) -> set[str]:
    """The models of models/scores (the score marts and their helpers)."""
    manifest = read_manifest(manifest_path or dbt_project.manifest_path)
    return {node["name"] for node in manifest["nodes"].values()
            if node["resource_type"] == "model" and node["fqn"][1] == "scores"}


def changed_models() -> list[str] | None:
    """The models changed since the working database's last dbt build, and every model downstream of them
    (dbt's `state:modified+` against the manifest that build saved); None when there is no such manifest
    (nothing built yet, or built before this mechanism): then every model counts as changed."""
    import subprocess

    if not built_manifest().exists():
        return None
    if built_from_current_manifest():
        return []  # the same parse: nothing changed (no dbt process needed)
    # In a target folder of its own, writing no manifest: `dbt ls` would otherwise rewrite the project's
    # target/manifest.json (the same models, another invocation id), which every other working database's
    # saved manifest would then differ from, byte for byte: each of their refreshes would run `dbt ls` again.
    with scratch_target("dbt-ls-") as target:
        listed = subprocess.run(
            [str(DBT_EXECUTABLE), "ls", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir",
             str(DBT_PROJECT_DIR), "--target-path", target, "--no-write-json", "--resource-type", "model",
             "--selector", CHANGED_SELECTOR, "--state", str(state_dir()), "--output", "name"],
            check=True, capture_output=True, text=True)
    return sorted(line.strip() for line in listed.stdout.splitlines() if line.strip())


@dbt_assets(manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=LayeredTranslator(),
            partitions_def=fiscal_years, backfill_policy=SINGLE_RUN)
def warehouse_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: WorkingDatabaseResource):
    """dbt build of the run's fiscal years (its partition range): seeds, staging, intermediate and marts
    models with their tests. Every year: a full refresh. A model changed since the last build (dbt's
    state:modified+) is rebuilt whole, whatever the run's years. With WAREHOUSE_DBT_TARGET=spark, a whole
    build on Spark instead (_spark_build, orchestration/spark_target.py)."""
    with duckdb.refresh_lock():  # dbt writes the working database from its own process
        if dbt_target() == "spark":
            yield from _spark_build(context, dbt, duckdb)
        else:
            yield from _dbt_build(context, dbt, duckdb)


def _event_time_args(context: AssetExecutionContext) -> list[str]:
    """The run's years as dbt's run-time flags (macros/fiscal_years.sql reads them): no re-parse."""
    window = context.partition_time_window
    return ["--event-time-start", window.start.strftime("%Y-%m-%d"),
            "--event-time-end", window.end.strftime("%Y-%m-%d")]


def _build_plan(context: AssetExecutionContext, years: list[int] | None,
                unreached: list[str]) -> tuple[list[list[str]], set[str]]:
    """The dbt invocations of the run, and the dbt nodes it leaves alone (the models the loads' changes do
    not reach, and the seeds), which are current as they stand."""
    skipped: set[str] = set()
    state = ["--state", str(state_dir())]
    if years is None:
        invocations = [["build", "--full-refresh"]]
    else:
        changed = changed_models()
        if changed is None:
            context.log.info("no record of the last dbt build: every model is rebuilt whole")
            invocations = [["build", "--full-refresh"]]
        elif changed:
            context.log.warning(f"changed since the last build, rebuilt whole (every year): {', '.join(changed)}")
            # The changed models by the YAML selector (`state:modified+`, dbt_project/selectors.yml), not by
            # `--select`: dagster-dbt adds its own `--select` of the run's assets, which dbt would union with
            # ours, while dbt ignores `--select` beside `--selector`. (The exclusion stays `--exclude
            # state:modified+`: dbt has no `--exclude` of a selector.)
            invocations = [["build", "--exclude", "state:modified+", *state, *_event_time_args(context)],
                           ["build", "--selector", CHANGED_SELECTOR, *state, "--full-refresh"]]
        else:
            # What the loads did not change is not built again: the models no changed source reaches (and
            # their tests), and the seeds (a changed seed is a changed node, rebuilt above).
            skipped = set(unreached) | seed_names(dbt_project.manifest_path)
            invocations = [["build", "--exclude", " ".join(["resource_type:seed", *unreached]),
                            *_event_time_args(context)]]
            if set(unreached) >= model_names(dbt_project.manifest_path):
                context.log.info("nothing the loads changed reaches a model: no dbt build")
                invocations = []
    return invocations, skipped


def _stream(context: AssetExecutionContext, dbt: DbtCliResource, args: list[str]):
    """One quiet dbt invocation's events."""
    invocation = dbt.cli([*args, *QUIET_BUILD], context=context)
    try:
        for event in invocation.stream():
            yield event
            fault_points.reached(fault_points.DBT_RUNNING)
    finally:
        # dagster-dbt leaves a target/<run> folder per invocation; the manifest stays in target/.
        shutil.rmtree(invocation.target_path, ignore_errors=True)


def _dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: WorkingDatabaseResource):
    years = years_of(context)
    unreached: list[str] = []
    with duckdb.get_connection() as con:  # an empty warehouse (no year loaded yet) still builds, empty
        ensure_raw_schema(con, load_contract())
        if years is not None:  # the departments the load changed (orchestration/refresh_scope.py)
            departments = write_scope(con, years)
            context.log.info("every department of the run's years" if departments is None else
                             f"{len(departments)} department(s) of the run's years: {', '.join(departments[:20])}")
            unreached = models_not_reached(changed_kinds(con, years), dbt_project.manifest_path)
    invocations, skipped = _build_plan(context, years, unreached)
    built = False
    try:
        # What the build leaves alone is current as it stands, and recorded as such (before what it rebuilds:
        # Dagster takes a multi-asset's outputs in dependency order), so that the publication runs.
        for key in in_dependency_order(context.selected_asset_keys, dbt_project.manifest_path):
            if key.path[-1] in skipped:
                yield MaterializeResult(asset_key=key, metadata={"rebuilt": False, "why": UNCHANGED})
        for args in invocations:
            yield from _stream(context, dbt, args)
        built = True
    finally:
        # The scope is whole again; after a failure the pending departments stay for the next build.
        with duckdb.get_connection() as con:
            if built:
                finish_build(con, years)
            else:
                reset_scope(con)
    # What the tables are now built from: the next build compares its models with this manifest.
    built_manifest().parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(dbt_project.manifest_path, built_manifest())


def spark_built_tables(manifest_path: Path | None = None) -> list[tuple[str, str]]:
    """(schema, table) of what a Spark build hands to the publication: the marts and the seeds."""
    manifest = read_manifest(manifest_path or dbt_project.manifest_path)
    return sorted((node["schema"], node["name"]) for node in manifest["nodes"].values()
                  if node["resource_type"] == "seed"
                  or (node["resource_type"] == "model" and node["schema"] == "marts"))


def _spark_build(context: AssetExecutionContext, dbt: DbtCliResource, duckdb: WorkingDatabaseResource):
    """WAREHOUSE_DBT_TARGET=spark (orchestration/spark_target.py): the sources exported as Parquet, a whole
    `dbt build` on Spark, then its marts and seeds copied into the working database for the publication."""
    folders = SparkFolders.beside(Path(duckdb.database))
    with duckdb.get_connection() as con:
        ensure_raw_schema(con, load_contract())
        exported = export_sources(con, folders.raw)
    context.log.info(f"sources exported as Parquet for Spark ({sum(exported.values())} rows in {len(exported)} "
                     f"tables) under {folders.raw}")
    with spark_environment(folders):
        yield from _stream(context, dbt, ["build", "--full-refresh"])
    with duckdb.get_connection() as con:
        imported = import_built_tables(con, folders.warehouse, spark_built_tables())
        finish_build(con, None)  # Spark built every year of every department
    context.log.info(f"Spark's marts and seeds copied into the working database: {len(imported)} tables, "
                     f"{sum(imported.values())} rows")
    # The working database's other dbt tables are not this build's: the next DuckDB build rebuilds whole.
    built_manifest().unlink(missing_ok=True)
