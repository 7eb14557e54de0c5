"""Publishing: the marts copied into data/marts/warehouse.duckdb (atomic swap) and Parquet; the
job that transforms and publishes, and the sensor that starts it once a batch of raw loads is done."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSelection,
    DagsterRunStatus,
    MaterializeResult,
    RunRequest,
    RunsFilter,
    RunStatusSensorContext,
    SkipReason,
    asset,
    define_asset_job,
    run_status_sensor,
)
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.raw import NIGHTLY_BATCH_PREFIX, REFRESH_BATCH_TAG, load_raw_job
from orchestration.assets.rule_sets import rule_set_tables
from orchestration.assets.transform import mart_names, warehouse_dbt_models
from orchestration.publication import publish_marts
from orchestration.refresh import REFRESH_YEARS_TAG, rewritten_in_run, years_tag
from orchestration.resources import WarehouseResource, WorkingDatabaseResource

MARTS = mart_names()  # the dbt marts, the score marts among them


@asset(
    deps=[get_asset_key_for_model([warehouse_dbt_models], name) for name in MARTS],
    group_name="publish",
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
    with duckdb.refresh_lock():
        with duckdb.get_connection() as con:  # the years the run's dbt and scoring steps rewrote
            years = rewritten_in_run(con, context.run.run_id)
        result = publish_marts(paths.work_db, paths.publish_dir, MARTS, run_id=context.run.run_id, years=years)
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
    description="Compile the rule sets, build every dbt model and test (the score marts among them), then publish "
    "the marts.",
)


@run_status_sensor(
    run_status=DagsterRunStatus.SUCCESS,
    monitored_jobs=[load_raw_job],
    request_job=transform_publish_job,
    description="When the last raw load of a refresh batch succeeds, starts one transform-and-publish run "
    "that rebuilds the years the batch reloaded (every year after the nightly refresh).",
)
def transform_after_raw_loads(context: RunStatusSensorContext):
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
    if batch.startswith(NIGHTLY_BATCH_PREFIX):
        years = None  # the nightly refresh reloads every year: rebuild them all
    else:
        loaded = context.instance.get_runs(RunsFilter(job_name=load_raw_job.name, tags={REFRESH_BATCH_TAG: batch}))
        years = [run.tags["dagster/partition"] for run in loaded if "dagster/partition" in run.tags]
    return RunRequest(run_key=f"transform:{batch}",
                      tags={REFRESH_BATCH_TAG: batch, REFRESH_YEARS_TAG: years_tag(years)})
