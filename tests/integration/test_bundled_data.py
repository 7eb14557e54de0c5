"""The bundled data of `make run`: the real seed department and a generated demo of 12 departments
over 2015-2020, scored under every rule set."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal as D

from conftest import BUNDLED_RAW
from oracle.engine import competition_ranks

from orchestration.scoring.rule_sets import load_rule_sets
from tools.demo_data import generate, load_profile, parse_years

RULE_SETS = {rs.name: rs for rs in load_rule_sets()}


def test_bundled_demo_is_the_generator_output(tmp_path):
    defaults = load_profile()["defaults"]
    out = tmp_path / "demo"
    generate(out, int(defaults["departments"]), parse_years(str(defaults["years"])), int(defaults["seed"]),
             defaults["layout"], float(defaults["inconsistency_rate"]))
    generated = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    bundled = {p.relative_to(BUNDLED_RAW): p.read_bytes() for p in BUNDLED_RAW.rglob("*")
               if p.is_file() and ("demo-bureau-export" in p.parts or p.name == "_injections.csv")}
    assert generated.keys() == bundled.keys()
    assert all(generated[k] == bundled[k] for k in generated), "run `make demo` to write the demo data again"


def test_bundled_data_covers_the_seed_and_twelve_demo_departments_over_six_years(bundled_warehouse):
    rows = bundled_warehouse.query("""
        select is_synthetic, count(distinct department_code), min(fiscal_year), max(fiscal_year), count(*)
        from marts.department_execution group by 1 order by 1""")
    assert rows == [(False, 1, 2017, 2017, 1), (True, 12, 2015, 2020, 72)]


def test_every_mart_says_whether_a_row_is_synthetic(bundled_warehouse):
    tables = [r[0] for r in bundled_warehouse.query(
        "select table_name from information_schema.tables where table_schema = 'marts'")]
    assert len(tables) >= 12
    for table in tables:
        assert bundled_warehouse.query(f"select count(*) from marts.{table} where is_synthetic is null") == [(0,)]
        flags = dict(bundled_warehouse.query(
            f"select department_code like 'DEMO-%', bool_and(is_synthetic) = bool_or(is_synthetic) "
            f"and bool_or(is_synthetic) from marts.{table} group by 1"))
        assert flags.get(False) is False and flags.get(True, True) is True, table  # real forms only in some


def test_every_department_year_is_scored_under_every_department_rule_set(bundled_warehouse):
    department_sets = [name for name, rs in RULE_SETS.items() if rs.applies_to == "department"]
    expected = {(code, year, rs) for code, year in bundled_warehouse.query(
        "select department_code, fiscal_year from marts.department_execution") for rs in department_sets}
    got = bundled_warehouse.query("select department_code, fiscal_year, rule_set from marts.department_scores")
    assert len(got) == len(set(got)) == len(expected) == 73 * 2
    assert set(got) == expected
    projects = bundled_warehouse.query("select department_code, project_code, rule_set from marts.project_scores")
    assert sorted(projects) == [("CZ-GC219", "CZ-GC219-P01", "mof_2020_project_self_eval"),
                                ("LJ-ZRZYJ", "LJ-ZRZYJ-P01", "mof_2020_project_self_eval")]


def test_grades_follow_the_bands_and_ranks_are_per_year_among_real_and_synthetic_apart(bundled_warehouse):
    rows = bundled_warehouse.query("""
        select rule_set, fiscal_year, department_code, total_score, grade, rank_in_year, unscored_items, is_synthetic
        from marts.department_scores""")
    by_year = defaultdict(list)
    for rule_set, year, code, total, grade, rank, unscored, synthetic in rows:
        assert grade == RULE_SETS[rule_set].grade(total, unscored), (rule_set, code, year, total, grade)
        if unscored:
            assert grade is None, (rule_set, code, year)  # a total with unscored items is not graded
        by_year[(rule_set, year, synthetic)].append((code, total, rank))
    for key, members in by_year.items():
        expected = competition_ranks([(code, total) for code, total, _ in members])
        assert {code: rank for code, _, rank in members if rank is not None} == expected, key
    # the one real department ranks first among the real ones, whatever the demo departments score
    assert bundled_warehouse.query("""
        select distinct rank_in_year from marts.department_scores
        where department_code = 'WH-DHZB' and total_score is not null""") == [(1,)]
    scored = [r for r in rows if r[3] is not None]
    assert len(scored) >= 130 and {r[4] for r in scored if r[0] == "wuhan_2017_department"} >= {"优秀", "良好"}


def test_scores_add_up_from_their_items(bundled_warehouse):
    mismatches = bundled_warehouse.query("""
        select d.rule_set, d.department_code, d.fiscal_year, d.total_score, sum(i.score)
        from marts.department_scores d
        join marts.indicator_scores i using (rule_set, department_code, fiscal_year)
        group by all having d.total_score is distinct from sum(i.score)""")
    assert mismatches == []


def test_trends_and_year_on_year_changes(bundled_warehouse):
    trend = bundled_warehouse.query("""
        select years_covered, first_year, last_year, first_score, last_score, best_year, worst_year
        from marts.department_score_trends where department_code = 'DEMO-001' and rule_set = 'wuhan_2017_department'""")
    series = dict(bundled_warehouse.query("""
        select fiscal_year, total_score from marts.department_scores
        where department_code = 'DEMO-001' and rule_set = 'wuhan_2017_department'"""))
    years_covered, first_year, last_year, first_score, last_score, best_year, worst_year = trend[0]
    assert (years_covered, first_year, last_year) == (6, 2015, 2020)
    assert (first_score, last_score) == (series[2015], series[2020])
    assert series[best_year] == max(series.values()) and series[worst_year] == min(series.values())
    changes = dict(bundled_warehouse.query("""
        select fiscal_year, yoy_change from marts.department_scores
        where department_code = 'DEMO-001' and rule_set = 'wuhan_2017_department'"""))
    assert changes[2015] is None and changes[2018] == series[2018] - series[2017]
    pefa = bundled_warehouse.query("""
        select pefa_rolling_ratings from marts.department_score_trends
        where department_code = 'DEMO-001' and rule_set = 'pefa_outturn'""")[0][0]
    assert "2018-2020 PI-1 总体支出执行" in pefa and "2013-2015 PI-1 总体支出执行 NR" in pefa
    assert D(0) <= max(series.values()) <= D(100)


def test_every_bundled_file_loads_whole_and_unchanged(bundled_warehouse):
    """Every file under data/raw - the version-1 seed and demo files as much as the version-2 forms -
    loads with all its rows and breaks no contract rule."""
    import csv
    import hashlib

    loaded = {f: (sha, rows) for f, sha, rows in bundled_warehouse.query(
        "select source_file, sha256, row_count from meta.source_files")}
    files = sorted(p for p in BUNDLED_RAW.rglob("*.csv") if p.name != "_injections.csv")
    assert {str(p.relative_to(BUNDLED_RAW)) for p in files} == set(loaded)
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = sum(1 for row in list(csv.reader(fh))[1:] if any(cell.strip() for cell in row))
        assert loaded[str(path.relative_to(BUNDLED_RAW))] == (hashlib.sha256(path.read_bytes()).hexdigest(), rows)
    assert bundled_warehouse.query("select count(*) from meta.contract_findings") == [(0,)]


# The seed's version-1 transcription as it was before contract version 2 (commit 508cbef): version 2
# changed none of its bytes, and test_seed_figures and test_data_quality hold its figures and findings.
SEED_DIGEST_BEFORE_VERSION_2 = "c00d312e36ac09b40ff67c80c442b3b8307010258dc3b3db201c904f315e5df1"


def test_the_seed_transcription_is_the_version_1_files_unchanged():
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((BUNDLED_RAW / "2017" / "WH-DHZB").glob("*.csv")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    assert digest.hexdigest() == SEED_DIGEST_BEFORE_VERSION_2
