"""Publishing never blocks on, nor disturbs, analysts holding the published file open, and a
failed run leaves the published file as it was."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import textwrap
from decimal import Decimal as D

import duckdb
import pytest

from orchestration.assets.transform import mart_names
from orchestration.cli import RefreshFailed
from orchestration.publish import publish_marts
from orchestration.scoring.rule_sets import RULE_SETS_DIR

READER = textwrap.dedent("""
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    sql = "select actual_spend from marts.project_execution where line_no = 1"
    print(con.execute(sql).fetchall()[0][0], flush=True)
    sys.stdin.readline()          # wait while the refresh runs
    print(con.execute(sql).fetchall()[0][0], flush=True)
""")


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit_seed(wh, kind: str, old: str, new: str) -> None:
    path = wh.raw_dir / "2017" / "WH-DHZB" / f"{kind}.csv"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_refresh_while_an_analyst_holds_the_file_open(warehouse):
    warehouse.copy_seed()
    warehouse.refresh()
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse.published_db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "130.840000"
        edit_seed(warehouse, "budget_lines", "130.84", "131.84")
        warehouse.refresh()  # must not fail on the reader's lock
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "130.840000", "the open session keeps its snapshot"
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()
    assert warehouse.query("select actual_spend from marts.project_execution where line_no = 1") == [(D("131.84"),)]


def test_run_failing_midway_leaves_published_file_unchanged(warehouse, monkeypatch, tmp_path):
    warehouse.copy_seed()
    warehouse.refresh()
    before = sha256(warehouse.published_db)
    # New figures load and dbt rebuilds the working marts, then scoring fails on a broken rule set.
    edit_seed(warehouse, "budget_lines", "130.84", "131.84")
    rule_sets = tmp_path / "rule_sets"
    shutil.copytree(RULE_SETS_DIR, rule_sets)
    broken = rule_sets / "pefa_outturn.yml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("total: 100", "total: 99"), encoding="utf-8")
    monkeypatch.setenv("WAREHOUSE_RULE_SETS_DIR", str(rule_sets))
    with pytest.raises(RefreshFailed, match=r"performance_scores: .*pefa_outturn\.yml:\d+: dimension weights"):
        warehouse.refresh()
    con = duckdb.connect(str(warehouse.work_db), read_only=True)
    try:  # the working database did move on ...
        assert con.execute("select actual_spend from marts.project_execution where line_no = 1").fetchall() \
            == [(D("131.84"),)]
    finally:
        con.close()
    # ... the published file did not.
    assert sha256(warehouse.published_db) == before
    assert warehouse.query("select actual_spend from marts.project_execution where line_no = 1") == [(D("130.84"),)]
    assert not list(warehouse.publish_dir.glob(".warehouse.duckdb.building-*"))


def test_publish_failing_midway_leaves_published_file_unchanged(warehouse):
    warehouse.copy_seed()
    warehouse.refresh()
    before = sha256(warehouse.published_db)
    parquet_before = (warehouse.publish_dir / "parquet").resolve()
    # The third table does not exist: the new file is half written when the copy fails.
    marts = mart_names()
    with pytest.raises(Exception, match="no_such_mart"):
        publish_marts(warehouse.work_db, warehouse.publish_dir, [*marts[:2], "no_such_mart", *marts[2:]])
    assert sha256(warehouse.published_db) == before
    assert (warehouse.publish_dir / "parquet").resolve() == parquet_before
    leftovers = [p.name for p in warehouse.publish_dir.iterdir() if "building" in p.name]
    assert leftovers == []


def test_an_empty_warehouse_and_an_empty_year_still_publish(warehouse):
    (warehouse.raw_dir / "2018").mkdir(parents=True)  # a year folder with nothing in it yet
    warehouse.refresh()
    assert warehouse.query("select count(*) from marts.department_execution") == [(0,)]
    assert warehouse.query("select count(*) from marts.department_scores") == [(0,)]


def test_a_publication_of_some_years_starts_from_the_published_file_only_when_its_layout_is_current(
        seed_warehouse, tmp_path):
    from orchestration.assets.publish import MARTS

    publish_dir = tmp_path / "marts"
    publish_dir.mkdir()
    shutil.copy(seed_warehouse.published_db, publish_dir / "warehouse.duckdb")
    publish_marts(seed_warehouse.work_db, publish_dir, MARTS, years=[2017])
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select fiscal_years from meta.refresh").fetchone() == ("2017",)
        assert con.execute("select count(*) from marts.project_execution").fetchone()[0] > 0
    finally:
        con.close()
    # A mart fewer than the published file holds: its layout is not current, so every row is copied.
    publish_marts(seed_warehouse.work_db, publish_dir, MARTS[:-1], years=[2017])
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select fiscal_years from meta.refresh").fetchone() == ("all",)
        tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'marts'")
                  .fetchall()}
        assert tables == set(MARTS[:-1])
    finally:
        con.close()
