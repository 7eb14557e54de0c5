"""Publishing: the marts copied into data/marts/warehouse.duckdb (atomic swap) and Parquet."""


from dagster import AssetExecutionContext, AssetSelection, MaterializeResult, asset, define_asset_job
from dagster_dbt import get_asset_key_for_model

from orchestration.assets.transform import mart_names, warehouse_dbt_models
from orchestration.publish import publish_marts
from orchestration.resources import WarehouseResource

MARTS = mart_names()


@asset(
    deps=[get_asset_key_for_model([warehouse_dbt_models], name) for name in MARTS],
    group_name="publish",
    kinds={"duckdb", "parquet"},
    description="Copies every mart into a new DuckDB file and swaps it over data/marts/warehouse.duckdb "
    "(open analyst sessions keep their snapshot; a failure leaves the published file as it was), and "
    "writes each mart as Parquet under data/marts/parquet/.",
)
def published_warehouse(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    paths = warehouse.paths
    result = publish_marts(paths.work_db, paths.publish_dir, MARTS, run_id=context.run.run_id)
    return MaterializeResult(metadata={
        "path": str(result.published_db),
        "parquet": str(result.parquet_dir),
        **{f"rows.{name}": count for name, count in result.row_counts.items()},
    })


transform_publish_job = define_asset_job(
    "transform_and_publish",
    selection=AssetSelection.assets(warehouse_dbt_models) | AssetSelection.assets(published_warehouse),
    description="Build every dbt model and test, then publish the marts.",
)
