"""The rule sets: rule_sets/*.yml (or $WAREHOUSE_RULE_SETS_DIR) validated and compiled to the
reference.rule_set* tables that the dbt score models read (dbt source `rule_sets`)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from orchestration.resources import WarehouseResource, WorkingDatabaseResource
from orchestration.scoring.rule_set_tables import write_rule_set_tables
from orchestration.scoring.rule_sets import load_rule_sets

RULE_SETS_ASSET = AssetKey(["reference", "rule_sets"])


@asset(
    key=RULE_SETS_ASSET,
    group_name="reference",
    kinds={"duckdb", "python"},
    description="Validates every rule set of rule_sets/*.yml (or $WAREHOUSE_RULE_SETS_DIR), refusing a malformed "
    "one with its file and line, and writes them as reference.rule_sets, reference.rule_set_items, "
    "reference.rule_set_grade_bands, reference.rule_set_qualitative_bands, reference.rule_set_pefa_ratings and "
    "reference.rule_set_item_levels, which the dbt score models read.",
)
def rule_set_tables(context: AssetExecutionContext, warehouse: WarehouseResource,
                    duckdb: WorkingDatabaseResource) -> MaterializeResult:
    rule_sets = load_rule_sets(warehouse.paths.rule_sets_dir)
    with duckdb.get_connection() as con:
        rows = write_rule_set_tables(con, rule_sets)
    context.log.info("rule sets: " + ", ".join(rs.name for rs in rule_sets))
    return MaterializeResult(metadata={"rule_sets": ", ".join(rs.name for rs in rule_sets),
                                       **{f"rows.{k}": v for k, v in rows.items()}})
