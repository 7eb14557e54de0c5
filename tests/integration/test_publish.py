"""Publishing never blocks on, nor disturbs, analysts holding the published file open, and a
failed run leaves the published file as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from decimal import Decimal as D
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.publish import MARTS
from orchestration.assets.transform import mart_names
from orchestration.publication import publish_marts
from orchestration.sql import sql_text

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


def test_publishing_while_an_analyst_holds_the_file_open(warehouse, seed_warehouse):
    warehouse.clone_from(seed_warehouse)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(warehouse.published_db)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "130.840000"
        con = duckdb.connect(str(warehouse.work_db))  # the working marts moved on (as a refresh would)
        con.execute("update marts.project_execution set actual_spend = 131.84 where line_no = 1")
        con.close()
        publish_marts(warehouse.work_db, warehouse.publish_dir, MARTS)  # must not fail on the reader's lock
        reader.stdin.write("go\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "130.840000", "the open session keeps its snapshot"
        assert reader.wait(timeout=30) == 0
    finally:
        reader.kill()
    assert warehouse.query("select actual_spend from marts.project_execution where line_no = 1") == [(D("131.84"),)]


def test_publish_failing_midway_leaves_published_file_unchanged(warehouse, seed_warehouse):
    warehouse.clone_from(seed_warehouse)
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


@pytest.mark.pipeline  # a whole refresh
def test_an_empty_warehouse_and_an_empty_year_still_publish(warehouse):
    (warehouse.raw_dir / "2018").mkdir(parents=True)  # a year folder with nothing in it yet
    warehouse.refresh()
    assert warehouse.query("select count(*) from marts.department_execution") == [(0,)]
    assert warehouse.query("select count(*) from marts.department_scores") == [(0,)]


def test_a_publication_of_some_years_starts_from_the_published_file_only_when_its_layout_is_current(
        seed_warehouse, tmp_path):

    publish_dir = tmp_path / "marts"
    publish_dir.mkdir()
    shutil.copy(seed_warehouse.published_db, publish_dir / "warehouse.duckdb")
    # 2016 (no rows): the rows of 2017 come from the published file.
    publish_marts(seed_warehouse.work_db, publish_dir, MARTS, years=[2016])
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select fiscal_years from meta.refresh").fetchone() == ("2016",)
        assert con.execute("select count(*) from marts.project_execution").fetchone()[0] > 0
    finally:
        con.close()
    # Every year the published file and the working marts hold: a whole publication.
    publish_marts(seed_warehouse.work_db, publish_dir, MARTS, years=[2016, 2017])
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select fiscal_years from meta.refresh").fetchone() == ("all",)
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


@pytest.fixture
def quoted_work_db(seed_warehouse, tmp_path):
    """A copy of the seed's working database under a path with a quote in it, and a publish folder beside."""
    work_db = tmp_path / "it's work" / "build.duckdb"
    work_db.parent.mkdir()
    shutil.copy(seed_warehouse.work_db, work_db)
    return work_db, tmp_path / "the analysts' marts"


def parquet_folders(publish_dir) -> set[str]:
    return {p.name for p in publish_dir.glob(".parquet-*")}


def test_a_publication_removes_what_dead_builds_left_and_keeps_the_previous_version(quoted_work_db):

    work_db, publish_dir = quoted_work_db
    first = publish_marts(work_db, publish_dir, MARTS)
    # What builds killed before their swaps leave behind.
    dead = publish_dir / ".parquet-20200101T000000-deadbeef"
    dead.mkdir()
    (dead / "project_execution.parquet").write_bytes(b"PAR1 half written")
    complete_but_unpublished = publish_dir / ".parquet-20200101T000001-0badf00d"
    shutil.copytree(publish_dir / "parquet", complete_but_unpublished)
    debris = [publish_dir / ".warehouse.duckdb.building-20200101T000000-deadbeef",
              publish_dir / ".warehouse.duckdb.building-20200101T000000-deadbeef.wal",
              publish_dir / ".data_quality_report.html.building-20200101T000000-deadbeef",
              publish_dir / ".dashboard.html.building-20200101T000000-deadbeef"]
    for path in debris:
        path.write_bytes(b"x")
    (publish_dir / ".parquet.link-20200101T000000-deadbeef").symlink_to(dead.name)
    (publish_dir / ".xlsx-20200101T000000-deadbeef").mkdir()
    (publish_dir / ".xlsx.link-20200101T000000-deadbeef").symlink_to(".xlsx-20200101T000000-deadbeef")

    second = publish_marts(work_db, publish_dir, MARTS)
    names = {p.name for p in publish_dir.iterdir()}
    assert names == {"warehouse.duckdb", "data_quality_report.html", "dashboard.html", "parquet", "xlsx",
                     f".parquet-{first.publication_id}", f".parquet-{second.publication_id}",
                     f".xlsx-{second.publication_id}"}
    assert (publish_dir / "xlsx").resolve().name == f".xlsx-{second.publication_id}"
    third = publish_marts(work_db, publish_dir, MARTS)  # the version before the previous one goes
    assert parquet_folders(publish_dir) == {f".parquet-{second.publication_id}", f".parquet-{third.publication_id}"}
    assert (publish_dir / "parquet").resolve().name == f".parquet-{third.publication_id}"


def test_every_parquet_file_names_the_publication_of_the_duckdb_file_and_holds_its_rows_in_order(quoted_work_db):
    from orchestration.publication import publication_status

    work_db, publish_dir = quoted_work_db
    result = publish_marts(work_db, publish_dir, MARTS)
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select publication_id, parquet_folder from meta.refresh").fetchone() == (
            result.publication_id, f".parquet-{result.publication_id}")
        manifest = json.loads((publish_dir / "parquet" / "_publication.json").read_text(encoding="utf-8"))
        for table in MARTS:
            files = sorted((publish_dir / "parquet" / table).glob("**/*.parquet"))
            assert files and {str(f.relative_to(publish_dir / "parquet")) for f in files} == {
                name for name in manifest["files"] if name.startswith(table + "/")}, table
            rows = []
            for path in files:
                assert con.execute("select decode(value) from parquet_kv_metadata(?) where decode(key) = "
                                   "'publication_id'", [str(path)]).fetchall() == [(result.publication_id,)], path
                in_file = con.execute("select * from read_parquet(?, hive_partitioning = false)",
                                      [str(path)]).fetchall()
                assert in_file == con.execute("select * from read_parquet(?, hive_partitioning = false) order by all",
                                              [str(path)]).fetchall(), path  # in a fixed order
                if path.parent.name.startswith("fiscal_year="):  # a year's rows, that year's only
                    year = path.parent.name.split("=", 1)[1]
                    assert {r[0] for r in con.execute("select distinct fiscal_year::varchar from read_parquet(?, "
                                                      "hive_partitioning = false)", [str(path)]).fetchall()} == {
                        None if year == "__HIVE_DEFAULT_PARTITION__" else year}, path
                rows += in_file
            assert sorted(rows, key=repr) == sorted(con.execute(f"select * from marts.{table}").fetchall(), key=repr)
    finally:
        con.close()
    assert manifest["publication_id"] == result.publication_id
    assert manifest["tables"] == result.row_counts
    status = publication_status(publish_dir)
    assert status.agree and status.database_id == status.parquet_id == result.publication_id


def test_a_swap_cut_short_between_duckdb_and_parquet_is_completed_first_by_the_next_publication(
        quoted_work_db, monkeypatch):
    from orchestration import publication as publish

    work_db, publish_dir = quoted_work_db
    first = publish_marts(work_db, publish_dir, MARTS)
    real_point_link = publish._point_link

    def killed(*args):
        raise KeyboardInterrupt("killed between the swaps")

    monkeypatch.setattr(publish, "_point_link", killed)
    with pytest.raises(KeyboardInterrupt):
        publish_marts(work_db, publish_dir, MARTS)
    status = publish.publication_status(publish_dir)
    assert not status.agree and status.parquet_id == first.publication_id
    assert status.database_folder in parquet_folders(publish_dir), "the folder the DuckDB file names is kept"
    assert any("DISAGREE" in line for line in status.lines())

    monkeypatch.setattr(publish, "_point_link", real_point_link)
    publish.recover(publish_dir)
    recovered = publish.publication_status(publish_dir)
    assert recovered.agree and recovered.database_id == status.database_id
    assert not list(publish_dir.glob(".data_quality_report.html.building-*")), "the build's report is in place"
    assert publish.publication_status(publish_dir).agree
    latest = publish_marts(work_db, publish_dir, MARTS)
    assert publish.publication_status(publish_dir).parquet_id == latest.publication_id


def test_parquet_column_types_are_the_duckdb_column_types(seed_warehouse):

    con = duckdb.connect(str(seed_warehouse.published_db), read_only=True)
    try:
        differ = {}
        for table in MARTS:
            path = str(seed_warehouse.publish_dir / "parquet" / table / "**" / "*.parquet")
            in_duckdb = con.execute(f"select column_name, column_type from (describe marts.{table})").fetchall()
            # The files' own types (read through the folder names, the year takes the reader's type for them:
            # BIGINT in DuckDB)
            in_parquet = con.execute(f"select column_name, column_type from (describe select * from "
                                     f"read_parquet({sql_text(path)}, hive_partitioning = false))").fetchall()
            differ.update({f"{table}.{a[0]}": (a[1], b[1]) for a, b in zip(in_duckdb, in_parquet, strict=True)
                           if a != b})
    finally:
        con.close()
    assert differ == {}


def _differing_rows(publish_dir: Path, work_db: Path, marts: list[str]) -> dict[str, int]:
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        con.execute(f"attach {sql_text(work_db)} as work (read_only)")
        return {t: con.execute(f"select count(*) from (select * from marts.{t} except all select * from work.marts.{t}"
                               f" union all (select * from work.marts.{t} except all select * from marts.{t}))"
                               ).fetchone()[0] for t in marts}
    finally:
        con.close()


def test_a_publication_of_some_years_patches_the_slices_that_changed_and_links_the_other_parquet_files(
        quoted_work_db, monkeypatch):
    """A publication of some years copies the previous file and replaces the (year, department) slices of
    those years whose rows changed; the Parquet files of the rest are linked from the previous folder. The
    copy is written whole again once it grew past PATCH_GROWTH times its size when last written whole."""
    from orchestration import publication as publish

    work_db, publish_dir = quoted_work_db
    monkeypatch.setenv("WAREHOUSE_XLSX_MAX_ROWS", "0")  # no workbooks: not what this is about
    marts = [*MARTS, "big_mart"]
    con = duckdb.connect(str(work_db))
    try:
        con.execute("create table marts.big_mart as select 2011 + i % 10 as fiscal_year, 'D-' || i % 7 as "
                    "department_code, i as n, 'row ' || i || repeat('x', 40) as note from range(100000) as t(i)")
    finally:
        con.close()
    first = publish_marts(work_db, publish_dir, marts)
    whole = (publish_dir / "warehouse.duckdb").stat().st_size
    con = duckdb.connect(str(work_db))
    try:  # one department's rows of 2016 change; 2019 (not published below) too
        con.execute("update marts.big_mart set n = n + 1 where fiscal_year in (2016, 2019) and department_code = 'D-3'")
    finally:
        con.close()
    second = publish_marts(work_db, publish_dir, marts, years=[2014, 2015, 2016, 2017])
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select fiscal_years from meta.refresh").fetchone() == ("2014,2015,2016,2017",)
        assert con.execute("select count(*), sum(n) from marts.big_mart").fetchone() == (100000, 4999950000 + 1428)
    finally:
        con.close()
    differing = _differing_rows(publish_dir, work_db, marts)
    assert {t: n for t, n in differing.items() if n} == {"big_mart": 2 * 1429}  # 2019's: not published
    manifest = json.loads((publish_dir / "parquet" / "_publication.json").read_text(encoding="utf-8"))
    by = {name: entry["publication_id"] for name, entry in manifest["files"].items() if name.startswith("big_mart/")}
    assert by == {f"big_mart/fiscal_year={y}/data.parquet": second.publication_id if y == 2016 else
                  first.publication_id for y in range(2011, 2021)}
    linked = publish_dir / "parquet" / "big_mart" / "fiscal_year=2015" / "data.parquet"
    assert linked.stat().st_nlink == 2  # the previous folder's file, linked
    assert publish.publication_status(publish_dir).agree
    for _ in range(2):  # the copy stays near the size of a whole file: the slack's few blocks are reused
        publish_marts(work_db, publish_dir, marts, years=[2019])
        assert (publish_dir / "warehouse.duckdb").stat().st_size <= whole * 1.1 + publish.PATCH_SLACK_BYTES
    assert _differing_rows(publish_dir, work_db, marts) == dict.fromkeys(marts, 0)
    monkeypatch.setattr(publish, "PATCH_GROWTH", 1.0)
    monkeypatch.setattr(publish, "PATCH_SLACK_BYTES", 0)
    publish_marts(work_db, publish_dir, marts, years=[2016])  # grown past the bound: written whole
    con = duckdb.connect(str(publish_dir / "warehouse.duckdb"), read_only=True)
    try:
        assert con.execute("select fiscal_years from meta.refresh").fetchone() == ("all",)
    finally:
        con.close()
    assert publish.publication_status(publish_dir).agree
