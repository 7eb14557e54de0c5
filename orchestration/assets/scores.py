"""Scores: every department-year under every department rule set in rule_sets/, and every project
form under every project rule set, from the marts."""

import time

from dagster import AssetDep, AssetExecutionContext, AssetKey, AutomationCondition, MaterializeResult, asset
from dagster_duckdb import DuckDBResource

from orchestration.partitions import AFTER_UPSTREAM, SINGLE_RUN, fiscal_years, reads_years_back, years_of
from orchestration.resources import WarehouseResource
from orchestration.scoring.rescoring import refresh_scores, rule_sets_digest, years_read_back
from orchestration.scoring.rule_sets import load_rule_sets
from orchestration.settings import warehouse_paths

SCORE_MARTS = ["indicator_scores", "department_scores", "project_scores", "department_score_trends"]
INPUT_MODELS = [["marts", "department_indicators"], ["marts", "indicator_completion"], ["marts", "self_evaluation"],
                ["marts", "department_execution"], ["marts", "project_forms"],
                ["staging", "stg_reports__reviewer_scores"], ["staging", "stg_reports__self_evaluation"]]


# The rule sets of this code location: a year's scores read the years their PEFA window and year-on-year
# change reach back to (years_read_back), which is the partition mapping of every input. Their digest is
# the asset's code version, so that changed rule sets show (and automate) as a change of code.
RULE_SETS = load_rule_sets(warehouse_paths().rule_sets_dir)
READS_BACK = years_read_back(RULE_SETS)


@asset(
    deps=[AssetDep(AssetKey(k), partition_mapping=reads_years_back(READS_BACK)) for k in INPUT_MODELS],
    partitions_def=fiscal_years,
    backfill_policy=SINGLE_RUN,
    automation_condition=AFTER_UPSTREAM | AutomationCondition.code_version_changed(),
    code_version=rule_sets_digest(RULE_SETS)[:16],
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
        refreshed = refresh_scores(con, rule_sets, years_of(context))  # the run's partition range
    return MaterializeResult(metadata={
        "rule_sets": ", ".join(rs.name for rs in rule_sets),
        "fiscal_years": "all" if refreshed.years is None else ", ".join(str(y) for y in refreshed.years),
        "department_years": refreshed.department_years,
        "project_forms": refreshed.project_forms,
        **{f"rows.{k}": v for k, v in refreshed.rows.items()},
        "unscored_items": refreshed.unscored_items,
        "seconds": round(time.perf_counter() - started, 2),
    })
