"""Incremental refresh: a changed file re-processes its fiscal year and what reads it, nothing else,
and gives the warehouse a full rebuild would give."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse, _activate, _restore

from orchestration.assets.transform import dbt_project
from orchestration.scoring.rule_set_tables import rule_sets_changed, years_read_back_of
from orchestration.scoring.rule_sets import load_rule_sets
from orchestration.settings import warehouse_paths

PROJECT = Path(__file__).resolve().parents[2]
CHANGED_FILE = Path("2016") / "demo-bureau-export" / "budget_lines.csv"


# A text column per table, overwritten with a sentinel in one row of each department-year to see which
# slices a refresh rewrote: a rewritten slice loses its sentinel, an untouched one keeps it.
SENTINEL_COLUMNS = {
    "staging.stg_reports__budget_lines": "variance_reason",
    "intermediate.int_budget_lines__execution": "variance_reason",
    "marts.project_execution": "variance_reason",
    "marts.department_execution": "stated_execution_rate_text",  # free text, read by no model downstream
    "marts.data_quality_findings": "message_en",
    "marts.indicator_scores": "explanation",
    "marts.department_scores": "grade",
}
SCORE_TABLES = {"marts.indicator_scores", "marts.department_scores"}
# The sentinel keeps the value it covers (NULL_MARK for a null), so that a reader can restore it: a
# published year holds the slices the refresh did not rewrite, sentinels included (_marts restores them).
SENTINEL = "sentinel: not rewritten|"
NULL_MARK = "<null>"
Slice = tuple[int, str | None]  # (year, department)


def _year_column(table: str) -> str:
    return "_partition_year" if table.startswith("staging.") else "fiscal_year"


def _plant_sentinels(db: Path) -> dict[str, set[Slice]]:
    """A sentinel in one row of each department-year of each table; the slices planted, per table."""
    con = duckdb.connect(str(db))
    try:
        for table, column in SENTINEL_COLUMNS.items():
            year = _year_column(table)
            con.execute(f"update {table} set {column} = '{SENTINEL}' || coalesce({column}, '{NULL_MARK}') "
                        f"where rowid in (select min(rowid) from {table} group by {year}, department_code)")
    finally:
        con.close()
    return {table: _slices_keeping_sentinels(db, table) for table in SENTINEL_COLUMNS}


def _slices_keeping_sentinels(db: Path, table: str) -> set[Slice]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {(r[0], r[1]) for r in con.execute(
            f"select distinct {_year_column(table)}, department_code from {table} "
            f"where starts_with({SENTINEL_COLUMNS[table]}, '{SENTINEL}')").fetchall()}
    finally:
        con.close()


def _marts(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts' "
                                            "order by 1").fetchall()]
        return {t: sorted((tuple(_unsentinel(v) for v in row) for row in con.execute(f"select * from marts.{t}")
                           .fetchall()), key=repr) for t in tables}
    finally:
        con.close()


def _unsentinel(value: object) -> object:
    if isinstance(value, str) and value.startswith(SENTINEL):
        value = value.removeprefix(SENTINEL)
        return None if value == NULL_MARK else value
    return value


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
    sentinels: dict[str, set[int]]  # per table, the years a sentinel was planted in before the refresh


@pytest.fixture(scope="module")
def one_year_refresh(bundled_warehouse, tmp_path_factory) -> OneYearRefresh:
    """One refresh of 2016 that two tests read, with the event log's last record before it (which
    partitions it recorded) and sentinels planted before it (which years of each table it rewrote)."""
    from dagster import DagsterInstance

    wh = Warehouse(tmp_path_factory.mktemp("one-year") / "warehouse")
    wh.clone_from(bundled_warehouse)  # the bundled data, refreshed whole
    old_marts = _marts(wh.published_db)
    with DagsterInstance.from_config(str(wh.dagster_home)) as instance:
        mark = instance.event_log_storage.get_maximum_record_id()
    sentinels = _plant_sentinels(wh.work_db)
    _change_one_actual(wh.raw_dir / CHANGED_FILE)
    saved = _activate(wh)
    try:
        summary = wh.refresh([2016])
    finally:
        _restore(saved)
    return OneYearRefresh(wh, old_marts, summary, mark, sentinels)


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

    # The partition mappings: 2016 and 2017 for the models reading the prior year
    # (int_three_public__with_prior), the years whose PEFA window reaches those for the score models; one
    # `dbt build` runs every model (scores included) for the union, and the publication takes it too.
    back = years_read_back_of(load_rule_sets(PROJECT / "rule_sets"))
    scored = _years_after({2016, 2017}, back)
    dbt = scored
    assert done.warehouse.query("select fiscal_years from meta.refresh") == [  # the publication replaced those years
        (",".join(str(y) for y in sorted(scored)),)]

    # Which slices did the refresh of 2016 rewrite? dbt: the changed department (the load found the others'
    # rows unchanged) in 2016, 2017 and the years whose PEFA window or yoy change reaches them (one build
    # of the union); the scores: every department (plain tables; a rank reads the whole year).
    assert _pending(done.warehouse) == []  # the build consumed what the load recorded
    _assert_rewritten(done.warehouse, done.sentinels, dbt=dbt, scores=scored & set(range(2015, 2021)),
                      departments={"DEMO-003"})

    # A rebuild from nothing (no working database) of the same files gives the same published marts: the
    # years the refresh rewrote, and the years it took from the previous publication (where the working
    # database still holds the sentinels).
    warehouse.clone_from(done.warehouse)
    shutil.rmtree(warehouse.work_db.parent)
    warehouse.refresh()
    assert _marts(warehouse.published_db) == incremental
    assert warehouse.query("select fiscal_years from meta.refresh") == [("all",)]

    # (Rule sets changed since the last build: every year is rebuilt and published;
    # test_scores_are_rescored_whole_when_the_rule_sets_changed.)


def _pending(warehouse: Warehouse) -> list[tuple]:
    con = duckdb.connect(str(warehouse.work_db), read_only=True)
    try:
        return con.execute("select fiscal_year, department_code, whole_year from raw._pending_departments "
                           "union all select null, department_code, null from raw._refresh_scope "
                           "where department_code is not null").fetchall()
    finally:
        con.close()


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
    sentinels = _plant_sentinels(warehouse.work_db)
    project_manifest = dbt_project.manifest_path.read_bytes()
    warehouse.refresh([2016])
    _assert_rewritten(warehouse, sentinels, dbt=years, scores=years)
    assert saved.read_bytes() != json.dumps(manifest).encode()  # the build saved the current manifest
    # The state comparison (`dbt ls`) left the project's manifest alone: had it rewritten it, every other
    # working database's saved manifest would differ from it and their refreshes would compare again.
    assert dbt_project.manifest_path.read_bytes() == project_manifest


def test_partition_keys_of_a_one_year_refresh(one_year_refresh) -> None:
    """A refresh of 2016 materializes raw 2016, the rule-set tables (unpartitioned), and every dbt asset and
    the publication for the years whose PEFA window reaches 2016-2017 (the prior-year mapping, then the
    score models' window mapping; one `dbt build` runs the union)."""
    from dagster import AssetRecordsFilter, DagsterInstance, MetadataValue

    from orchestration.assets.rule_sets import RULE_SET_ASSETS
    from orchestration.assets.transform import models_not_reached
    from orchestration.definitions import build_definitions

    warehouse, mark = one_year_refresh.warehouse, one_year_refresh.mark
    not_reached = set(models_not_reached({"budget_lines"}))
    back = years_read_back_of(load_rule_sets(PROJECT / "rule_sets"))
    expected_scores = {str(y) for y in _years_after({2016, 2017}, back)}
    graph = build_definitions().resolve_asset_graph()
    with DagsterInstance.from_config(str(warehouse.dagster_home)) as instance:
        for key in graph.materializable_asset_keys:
            records = instance.fetch_materializations(AssetRecordsFilter(asset_key=key, after_storage_id=mark),
                                                      limit=1000).records
            found = sorted(r.partition_key for r in records)
            if key.path[0] == "raw":
                expected = ["2016"]
            elif key in RULE_SET_ASSETS.values():  # unpartitioned, compiled at the start of every run
                expected = [None]
            else:
                expected = sorted(expected_scores)
            assert found == expected, key
            # The models the changed file (budget lines) does not reach, and the seeds, are recorded current,
            # not rebuilt; everything it reaches is rebuilt by dbt.
            if key.path[0] not in ("raw", "published_warehouse") and key not in RULE_SET_ASSETS.values():
                rebuilt = {r.asset_materialization.metadata.get("rebuilt") for r in records}
                left = key.path[-1] in not_reached or key.path[0] == "reference"
                assert rebuilt == ({MetadataValue.bool(False)} if left else {None}), key
    assert {"stg_reports__indicators", "int_three_public__with_prior"} <= not_reached


def _assert_rewritten(warehouse, present: dict[str, set[Slice]], dbt: set[int], scores: set[int],
                      departments: set[str] | None = None) -> None:
    """After a refresh of 2016: which department-years of each table were rewritten (lost the sentinels
    planted before it, in the slices `present`) and which years were published. dbt's incremental tables
    rewrite the `departments` (None: all) of the `dbt` years, and the rows of no department of those years."""
    every = set(range(2015, 2021))  # the demo's years (2022 holds one project form, not refreshed here)
    for table in SENTINEL_COLUMNS:
        if table in SCORE_TABLES or dbt >= every:  # plain tables, and every year: 2022's too
            rewritten = present[table]
        else:
            rewritten = {(y, d) for y, d in present[table]
                         if y in dbt and (departments is None or d is None or d in departments)}
        assert _slices_keeping_sentinels(warehouse.work_db, table) == present[table] - rewritten, table
    published = warehouse.query("select fiscal_years from meta.refresh")[0][0]
    assert published == ("all" if every <= dbt | scores else ",".join(str(y) for y in sorted(dbt | scores)))


def test_scores_are_rescored_whole_when_the_rule_sets_changed(warehouse, bundled_warehouse, tmp_path: Path,
                                                              monkeypatch) -> None:
    """Other rule sets (here: one file edited) rescore and publish every year, even on a one-year refresh."""
    warehouse.clone_from(bundled_warehouse)
    rule_sets = tmp_path / "rule_sets"
    shutil.copytree(PROJECT / "rule_sets", rule_sets)
    edited = rule_sets / "wuhan_2017_department.yml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    monkeypatch.setenv("WAREHOUSE_RULE_SETS_DIR", str(rule_sets))
    assert rule_sets_changed(warehouse_paths())
    warehouse.refresh([2016])
    assert warehouse.query("select fiscal_years from meta.refresh") == [("all",)]
    # Scored under these rule sets now: the next refresh of 2016 goes back to the years that read 2016
    # (test_a_changed_file_gives_what_a_full_rebuild_gives).
    assert not rule_sets_changed(warehouse_paths())
