"""The rule sets: rule_sets/*.yml (or $WAREHOUSE_RULE_SETS_DIR) validated and compiled to the
reference.rule_set* tables that the dbt score models read (dbt source `rule_sets`, one Dagster asset
key per table)."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from orchestration.resources import WarehouseResource, WorkingDatabaseResource
from orchestration.scoring.rule_set_tables import TABLES, files_fingerprint, write_rule_set_tables
from orchestration.scoring.rule_sets import load_rule_sets

RULE_SET_ASSETS = {table: AssetKey(["reference", table]) for table in TABLES}


def _code_version() -> str | None:
    """The rule sets' digest: changed rule sets show in Dagster as changed code (and every year of the
    scores, which read them through an all-partitions mapping, follows)."""
    from orchestration.settings import warehouse_paths

    try:
        return files_fingerprint(load_rule_sets(warehouse_paths().rule_sets_dir))[:16]
    except Exception:  # noqa: BLE001 - the asset reports a malformed rule set with its file and line
        return None


CODE_VERSION = _code_version()


@multi_asset(
    name="rule_set_tables",
    specs=[AssetSpec(key, group_name="reference", kinds={"duckdb", "python"}, code_version=CODE_VERSION,
                     description=f"reference.{table}, compiled from the validated rule sets")
           for table, key in RULE_SET_ASSETS.items()],
    description="Validates every rule set of rule_sets/*.yml (or $WAREHOUSE_RULE_SETS_DIR), refusing a malformed "
    "one with its file and line, and writes them as reference.rule_sets, reference.rule_set_items, "
    "reference.rule_set_grade_bands, reference.rule_set_qualitative_bands, reference.rule_set_pefa_ratings and "
    "reference.rule_set_item_levels, which the dbt score models read.",
)
def rule_set_tables(context: AssetExecutionContext, warehouse: WarehouseResource, duckdb: WorkingDatabaseResource):
    rule_sets = load_rule_sets(warehouse.paths.rule_sets_dir)
    with duckdb.get_connection() as con:
        rows = write_rule_set_tables(con, rule_sets)
    context.log.info("rule sets: " + ", ".join(rs.name for rs in rule_sets))
    names = ", ".join(rs.name for rs in rule_sets)
    for table, key in RULE_SET_ASSETS.items():
        yield MaterializeResult(asset_key=key, metadata={"rule_sets": names, "rows": rows[table]})
