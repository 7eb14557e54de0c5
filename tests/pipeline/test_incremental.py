"""Incremental refresh: a changed file re-processes its fiscal year and what reads it, nothing else,
and gives the warehouse a full rebuild would give."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse, _activate, _restore

from orchestration.scoring.rescoring import refresh_scores, years_read_back
from orchestration.scoring.rule_sets import load_rule_sets

PROJECT = Path(__file__).resolve().parents[2]
CHANGED_FILE = Path("2016") / "demo-bureau-export" / "budget_lines.csv"


# A text column per table, overwritten with a sentinel in one row of each year to see which years a
# refresh rewrote: a rewritten year loses its sentinel, an untouched one keeps it.
SENTINEL_COLUMNS = {
    "staging.stg_reports__budget_lines": "variance_reason",
    "intermediate.int_budget_lines__execution": "variance_reason",
    "marts.project_execution": "variance_reason",
    "marts.department_execution": "department_name",
    "marts.data_quality_findings": "message_en",
    "marts.indicator_scores": "explanation",
    "marts.department_scores": "grade",
}
SCORE_TABLES = {"marts.indicator_scores", "marts.department_scores"}
SENTINEL = "sentinel: not rewritten"


def _year_column(table: str) -> str:
    return "_partition_year" if table.startswith("staging.") else "fiscal_year"


def _plant_sentinels(db: Path) -> None:
    con = duckdb.connect(str(db))
    try:
        for table, column in SENTINEL_COLUMNS.items():
            year = _year_column(table)
            con.execute(f"update {table} set {column} = '{SENTINEL}' where rowid in "
                        f"(select min(rowid) from {table} group by {year})")
    finally:
        con.close()


def _years_keeping_sentinels(db: Path, table: str) -> set[int]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {r[0] for r in con.execute(f"select distinct {_year_column(table)} from {table} "
                                          f"where {SENTINEL_COLUMNS[table]} = '{SENTINEL}'").fetchall()}
    finally:
        con.close()


def _marts(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts' "
                                            "order by 1").fetchall()]
        return {t: sorted(con.execute(f"select * from marts.{t}").fetchall(), key=repr) for t in tables}
    finally:
        con.close()


def _change_one_actual(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    row = next(i for i, line in enumerate(lines) if line.startswith("DEMO-003,2016,3,"))
    fields = lines[row].split(",")
    fields[9] = f"{float(fields[9]) + 1000:.2f}"  # 决算金额: one line now spends far over its budget
    lines[row] = ",".join(fields)
    path.unlink()  # the bundled file may be a hard link of the repository's
    path.write_text("\n".join(lines), encoding="utf-8")


def _years_after(years: set[int], back: int) -> set[int]:
    return {y + k for y in years for k in range(back + 1)}


@dataclass
class OneYearRefresh:
    """A copy of the bundled warehouse after one amount of 2016 changed and a refresh of 2016 ran."""
    warehouse: Warehouse
    old_marts: dict[str, list[tuple]]  # published before
    summary: dict
    mark: int  # the Dagster event log's last record before the refresh


@pytest.fixture(scope="module")
def one_year_refresh(bundled_warehouse, tmp_path_factory) -> OneYearRefresh:
    """One refresh of 2016 that two tests read (it was two refreshes), with the event log's last record
    before it, to see which partitions it recorded."""
    from dagster import DagsterInstance

    wh = Warehouse(tmp_path_factory.mktemp("one-year") / "warehouse")
    wh.clone_from(bundled_warehouse)  # the bundled data, refreshed whole
    old_marts = _marts(wh.published_db)
    with DagsterInstance.from_config(str(wh.dagster_home)) as instance:
        mark = instance.event_log_storage.get_maximum_record_id()
    _change_one_actual(wh.raw_dir / CHANGED_FILE)
    saved = _activate(wh)
    try:
        summary = wh.refresh([2016])
    finally:
        _restore(saved)
    return OneYearRefresh(wh, old_marts, summary, mark)


def test_a_changed_file_gives_what_a_full_rebuild_gives(one_year_refresh, warehouse) -> None:
    done = one_year_refresh
    assert done.summary["years"] == ["2016"]
    incremental = _marts(done.warehouse.published_db)
    old_marts = done.old_marts
    changed = [r for r in incremental["project_execution"] if r not in old_marts["project_execution"]]
    assert [(r[0], r[2]) for r in changed] == [("DEMO-003", 2016)]
    columns = [c for (c,) in done.warehouse.query("select column_name from duckdb_columns() where "
                                                  "schema_name = 'marts' and table_name = 'data_quality_findings' "
                                                  "order by column_index")]
    department, year = columns.index("department_code"), columns.index("fiscal_year")
    assert any(r[department] == "DEMO-003" and r[year] == 2016 for r in incremental["data_quality_findings"]
               if r not in old_marts["data_quality_findings"])

    # The partition mappings: dbt 2016 and 2017 (int_three_public__with_prior reads the prior year, and
    # one `dbt build` runs every model for the union); scores the years whose PEFA window reaches them.
    back = years_read_back(load_rule_sets(PROJECT / "rule_sets"))
    dbt = {2016, 2017}
    scored = _years_after(dbt, back)
    assert done.warehouse.query("select fiscal_years from meta.refresh") == [  # the publication replaced those years
        (",".join(str(y) for y in sorted(scored)),)]

    warehouse.clone_from(done.warehouse)
    warehouse.refresh()  # a full rebuild of the same files gives the same warehouse
    assert _marts(warehouse.published_db) == incremental

    # Which years did a refresh of 2016 rewrite? dbt: 2016 and 2017; scores: those and the years whose
    # PEFA window or yoy change reaches them.
    years = set(range(2015, 2021))
    _assert_rewritten(warehouse, dbt=dbt, scores=scored & years)


def test_a_changed_dbt_model_rebuilds_every_year_of_it(warehouse, bundled_warehouse) -> None:
    """A model that changed since the last build (dbt's state:modified+ against the manifest that build
    saved: here the saved SQL of one model differs) is rebuilt for every year, and so is
    every model downstream of it, the scores and the publication."""
    import json

    warehouse.clone_from(bundled_warehouse)
    saved = warehouse.work_db.parent / "dbt_state" / "manifest.json"
    manifest = json.loads(saved.read_text(encoding="utf-8"))
    # dbt's state:modified compares a model's SQL as written (raw_code), not only its checksum
    manifest["nodes"]["model.budget_performance.int_budget_lines__execution"]["raw_code"] += "\n-- an older version"
    saved.write_text(json.dumps(manifest), encoding="utf-8")
    years = set(range(2015, 2021))
    _assert_rewritten(warehouse, dbt=years, scores=years)
    assert saved.read_bytes() != json.dumps(manifest).encode()  # the build saved the current manifest


def test_partition_keys_of_a_one_year_refresh(one_year_refresh) -> None:
    """A refresh of 2016 materializes raw 2016, every dbt asset for 2016-2017 (the prior-year mapping),
    the scores and the publication for the years whose PEFA window reaches those."""
    from dagster import AssetKey, AssetRecordsFilter, DagsterInstance

    from orchestration.definitions import build_definitions

    warehouse, mark = one_year_refresh.warehouse, one_year_refresh.mark
    back = years_read_back(load_rule_sets(PROJECT / "rule_sets"))
    expected_scores = {str(y) for y in _years_after({2016, 2017}, back)}
    graph = build_definitions().resolve_asset_graph()
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        for key in graph.materializable_asset_keys:
            records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key, after_storage_id=mark),
                                                      limit=1000).records
            found = sorted(r.partition_key for r in records)
            if key.path[0] == "raw":
                expected = ["2016"]
            elif key in (AssetKey("performance_scores"), AssetKey("published_warehouse")):
                expected = sorted(expected_scores)
            else:
                expected = ["2016", "2017"]
            assert found == expected, key


def _assert_rewritten(warehouse, dbt: set[int], scores: set[int]) -> None:
    """Plant sentinels, refresh 2016, and check which years of each table were rewritten and published."""
    _plant_sentinels(warehouse.work_db)
    present = {table: _years_keeping_sentinels(warehouse.work_db, table) for table in SENTINEL_COLUMNS}
    warehouse.refresh([2016])
    every = set(range(2015, 2021))  # the demo's years (2022 holds one project form, not refreshed here)
    for table in SENTINEL_COLUMNS:
        rewritten = scores if table in SCORE_TABLES else dbt
        if rewritten >= every:  # every year: 2022's too
            rewritten = present[table]
        assert _years_keeping_sentinels(warehouse.work_db, table) == present[table] - rewritten, table
    published = warehouse.query("select fiscal_years from meta.refresh")[0][0]
    assert published == ("all" if every <= dbt | scores else ",".join(str(y) for y in sorted(dbt | scores)))


def test_scores_are_rescored_whole_when_the_rule_sets_changed(seed_warehouse, tmp_path: Path) -> None:
    work = tmp_path / "work.duckdb"
    shutil.copy(seed_warehouse.work_db, work)
    rule_sets = load_rule_sets(PROJECT / "rule_sets")
    con = duckdb.connect(str(work))
    try:
        # the years given are the years written (Dagster's partition range, planned from the mappings)
        assert refresh_scores(con, rule_sets, [2017, 2018]).years == [2017, 2018]
        con.execute("comment on table marts.department_scores is 'rule sets of another day'")
        assert refresh_scores(con, rule_sets, [2017]).years is None  # all years
        assert refresh_scores(con, rule_sets[:1], [2017]).years is None  # a rule set fewer
    finally:
        con.close()
