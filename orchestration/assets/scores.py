"""Scores: every department-year under every department rule set in rule_sets/, and every project
form under every project rule set, from the marts."""

import time

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from orchestration.refresh import DBT_STEP, SCORES_STEP, record_step, recorded_step, refresh_years
from orchestration.resources import WarehouseResource
from orchestration.scoring.rescoring import refresh_scores
from orchestration.scoring.rule_sets import load_rule_sets

SCORE_MARTS = ["indicator_scores", "department_scores", "project_scores", "department_score_trends"]
INPUT_MODELS = [["marts", "department_indicators"], ["marts", "indicator_completion"], ["marts", "self_evaluation"],
                ["marts", "department_execution"], ["marts", "project_forms"],
                ["staging", "stg_reports__reviewer_scores"], ["staging", "stg_reports__self_evaluation"]]


@asset(
    deps=[AssetKey(k) for k in INPUT_MODELS],
    group_name="scores",
    kinds={"duckdb", "python"},
    description="Scores every department-year under every department rule set in rule_sets/*.yml (or "
    "$WAREHOUSE_RULE_SETS_DIR), and every project form under every project rule set (applies_to), refusing "
    "a malformed rule set with its file and line, and writes marts.indicator_scores, marts.department_scores, "
    "marts.project_scores and marts.department_score_trends. After dbt "
    "rebuilt some fiscal years only, rescores those years and the years that read them.",
)
def performance_scores(
    context: AssetExecutionContext, warehouse: WarehouseResource, duckdb: DuckDBResource
) -> MaterializeResult:
    started = time.perf_counter()
    rule_sets = load_rule_sets(warehouse.paths.rule_sets_dir)
    with duckdb.get_connection() as con:
        # The years dbt rewrote in this run (all of them when its project changed); the tag's when the
        # run did not build dbt.
        built, years = recorded_step(con, context.run.run_id, DBT_STEP)
        refreshed = refresh_scores(con, rule_sets, years if built else refresh_years(context.run.tags))
        record_step(con, context.run.run_id, SCORES_STEP, refreshed.years)
    return MaterializeResult(metadata={
        "rule_sets": ", ".join(rs.name for rs in rule_sets),
        "fiscal_years": "all" if refreshed.years is None else ", ".join(str(y) for y in refreshed.years),
        "department_years": refreshed.department_years,
        "project_forms": refreshed.project_forms,
        **{f"rows.{k}": v for k, v in refreshed.rows.items()},
        "unscored_items": refreshed.unscored_items,
        "seconds": round(time.perf_counter() - started, 2),
    })
