"""Publishing: the marts copied into data/marts/warehouse.duckdb (atomic swap) and Parquet, one partition
a fiscal year like every asset upstream; declarative automation publishes once the years it reads were
updated (in place of the run-status sensor that waited for a batch of raw loads)."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    MaterializeResult,
    asset,
    define_asset_job,
)
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.rule_sets import rule_set_tables
from orchestration.assets.transform import mart_names, warehouse_dbt_models
from orchestration.partitions import AFTER_UPSTREAM, SINGLE_RUN, fiscal_years, years_of
from orchestration.publication import publish_marts
from orchestration.resources import WarehouseResource, WorkingDatabaseResource
from orchestration.up_to_date import record_publication

MARTS = mart_names()  # the dbt marts, the score marts among them


@asset(
    deps=[get_asset_key_for_model([warehouse_dbt_models], name) for name in MARTS],
    group_name="publish",
    partitions_def=fiscal_years,
    backfill_policy=SINGLE_RUN,
    automation_condition=AFTER_UPSTREAM,
    kinds={"duckdb", "parquet", "html"},
    check_specs=[AssetCheckSpec(
        "data_quality_findings", asset="published_warehouse",
        description="Counts the published data-quality findings by severity; fails (as a warning, never "
        "blocking) when there are errors, so that the run shows them.")],
    description="Copies every mart into a new DuckDB file (after a refresh of some years: a copy of the "
    "published file with those years' rows replaced) and swaps it over data/marts/warehouse.duckdb "
    "(open analyst sessions keep their snapshot; a failure leaves the published file as it was), and "
    "writes each mart as Parquet under data/marts/parquet/.",
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource,
                        duckdb: WorkingDatabaseResource) -> MaterializeResult:
    paths = warehouse.paths
    years = years_of(context)  # the run's partition range: the years whose rows are replaced
    with duckdb.refresh_lock():
        result = publish_marts(paths.work_db, paths.publish_dir, MARTS, run_id=context.run.run_id, years=years)
        with duckdb.get_connection() as con:  # what it was made from: a refresh with nothing new stops at that
            record_publication(con, result.publication_id)
    findings = {f"findings.{severity}": count for severity, count in result.findings_by_severity.items()}
    context.log.info("data-quality findings: " + ", ".join(f"{k[9:]} {v}" for k, v in findings.items()))
    return MaterializeResult(
        metadata={
            "publication_id": result.publication_id,
            "path": str(result.published_db),
            "parquet": str(result.parquet_dir),
            "report": str(result.report),
            **findings,
            **{f"rows.{name}": count for name, count in result.row_counts.items()},
        },
        check_results=[AssetCheckResult(
            check_name="data_quality_findings", passed=result.findings_by_severity.get("error", 0) == 0,
            severity=AssetCheckSeverity.WARN, metadata=findings)],
    )


transform_publish_job = define_asset_job(
    "transform_and_publish",
    selection=AssetSelection.assets(rule_set_tables, warehouse_dbt_models, published_warehouse),
    description="Compile the rule sets, build the dbt models and tests (the score marts among them), then publish "
    "the marts, for the run's fiscal years (partition range).",
)


# Declarative automation in place of the run-status sensor that waited for a batch of raw loads: each
# dbt, score and publish partition carries AFTER_UPSTREAM (orchestration/partitions.py) and this sensor
# evaluates it. Dagster's default automation sensor starts stopped; the warehouse's starts running, as the
# sensor it replaces did. Ranges of years are requested as one run each (single-run backfill policy).
transform_automation_sensor = AutomationConditionSensorDefinition(
    "transform_when_raw_changes",
    target=AssetSelection.assets(rule_set_tables, warehouse_dbt_models, published_warehouse),
    default_status=DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Rebuilds, rescores and republishes the fiscal years whose inputs were reloaded (and the years "
    "that read them: the next year of a prior-year comparison, the PEFA windows).",
)
