"""Scores: every department-year under every rule set in rule_sets/, from the marts."""

import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from orchestration.resources import WarehouseResource
from orchestration.scoring.engine import DIMENSION_PREFIX, read_inputs, score_frames
from orchestration.scoring.publish_tables import write_rule_sets, write_table
from orchestration.scoring.rule_sets import known_figures, load_rule_sets

SCORE_MARTS = ["indicator_scores", "department_scores", "department_score_trends"]
INPUT_MODELS = [["marts", "department_indicators"], ["marts", "indicator_completion"], ["marts", "self_evaluation"],
                ["marts", "department_execution"], ["staging", "stg_reports__reviewer_scores"]]


@asset(
    deps=[AssetKey(k) for k in INPUT_MODELS],
    group_name="scores",
    kinds={"duckdb", "python"},
    description="Scores every department-year under every rule set in rule_sets/*.yml (or "
    "$WAREHOUSE_RULE_SETS_DIR), refusing a malformed rule set with its file and line, and writes "
    "marts.indicator_scores, marts.department_scores and marts.department_score_trends.",
)
def performance_scores(
    context: AssetExecutionContext, warehouse: WarehouseResource, duckdb: DuckDBResource
) -> MaterializeResult:
    started = time.perf_counter()
    rule_sets = load_rule_sets(warehouse.paths.rule_sets_dir)
    with duckdb.get_connection() as con:
        inputs = read_inputs(con, known_figures())
        items, departments, trends = score_frames(rule_sets, inputs)
        counts = {
            "indicator_scores": write_table(con, "indicator_scores", items),
            "department_scores": write_table(
                con, "department_scores", departments,
                frozenset(c for c in departments.columns if c.startswith(DIMENSION_PREFIX))),
            "department_score_trends": write_table(con, "department_score_trends", trends),
        }
        write_rule_sets(con, rule_sets)
    return MaterializeResult(metadata={
        "rule_sets": ", ".join(rs.name for rs in rule_sets),
        "department_years": len(inputs.departments),
        **{f"rows.{k}": v for k, v in counts.items()},
        "unscored_items": int(items["score"].isna().sum()),
        "seconds": round(time.perf_counter() - started, 2),
    })
