"""What analysts filter and join on: marts.departments, a department_name beside every department_code,
a label for every code (reference.code_labels), one status for every indicator, findings' values as
numbers, and the PEFA ratings as columns."""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from decimal import Decimal as D

import pytest
import yaml

from orchestration.contract import PROJECT_ROOT
from orchestration.scoring.rule_set_tables import pefa_rating_columns
from orchestration.scoring.rule_sets import RULES, load_rule_sets

MART_DOCS = [PROJECT_ROOT / "dbt_project/models/marts/_marts.yml",
             PROJECT_ROOT / "dbt_project/models/scores/_scores.yml"]
CODE_LABELS = PROJECT_ROOT / "dbt_project/seeds/code_labels.csv"
STATUSES = {"met", "partly_met", "not_met", "not_assessable"}
SCORE_MARTS = ("indicator_scores", "department_scores", "project_scores", "department_score_trends")


def documented_models() -> list[dict]:
    return [m for path in MART_DOCS for m in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]]


def accepted_values(models: list[dict]) -> dict[tuple[str, str], list[str]]:
    """(mart, column) → its accepted values in the mart's integrity test, for every coded column."""
    found = {}
    for m in models:
        for test in m.get("data_tests", []):
            if isinstance(test, dict) and "integrity" in test:
                for column, values in test["integrity"]["arguments"].get("accepted_values", {}).items():
                    found[(m["name"], column)] = [str(v) for v in values]
    return found


def read_labels() -> list[dict]:
    with CODE_LABELS.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def missing_labels(coded: dict[tuple[str, str], list[str]], labels: list[dict]) -> list[str]:
    known = {(r["column_name"], r["code"]) for r in labels}
    return [f"{mart}.{column} = {value!r}" for (mart, column), values in coded.items() for value in values
            if (column, value) not in known]


# --- Labels: checked on the YAML and the seed, no refresh needed ---------------------------------------------------

def test_every_accepted_value_has_a_label():
    coded = accepted_values(documented_models())
    assert len(coded) > 20 and ("indicator_completion", "status") in coded and ("indicator_scores", "rating") in coded
    assert missing_labels(coded, read_labels()) == []


def test_a_new_code_without_a_label_fails():
    coded = accepted_values(documented_models())
    coded[("indicator_completion", "status")] = [*coded[("indicator_completion", "status")], "overachieved"]
    assert missing_labels(coded, read_labels()) == ["indicator_completion.status = 'overachieved'"]


def test_labels_are_complete_unique_and_none_is_stale():
    labels = read_labels()
    assert all(all((r[k] or "").strip() for k in ("column_name", "code", "label_zh", "label_en")) for r in labels)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["label_zh"]) for r in labels)
    keys = [(r["column_name"], r["code"]) for r in labels]
    assert len(keys) == len(set(keys))
    values_of = defaultdict(set)
    for (_, column), values in accepted_values(documented_models()).items():
        values_of[column].update(values)
    assert [k for k in keys if k[1] not in values_of[k[0]]] == []


def test_coded_columns_point_to_the_labels():
    models = documented_models()
    descriptions = {(m["name"], c["name"]): c["description"] for m in models for c in m["columns"]}
    for mart, column in accepted_values(models):
        assert "reference.code_labels" in descriptions[(mart, column)], f"{mart}.{column}"


def test_the_score_marts_codes_follow_the_rules_and_rule_sets():
    """Every rule and every rating a rule set can give is an accepted (so labelled) value."""
    coded = accepted_values(documented_models())
    assert set(coded[("indicator_scores", "rule")]) == set(RULES)
    ratings = {"NR"} | {r.rating for rs in load_rule_sets() for i in rs.items if i.rule == "pefa_rating"
                        for r in i.params["ratings"]}
    assert ratings == set(coded[("indicator_scores", "rating")])


# --- The bundled warehouse -----------------------------------------------------------------------------------------

def test_departments_one_row_each_with_its_years(bundled_warehouse):
    q = bundled_warehouse.query
    rows = {r[0]: r[1:] for r in q("""
        select department_code, department_name, entity_type, is_synthetic, first_year, last_year, years_present,
               fiscal_years, report_year_count, project_form_count
        from marts.departments""")}
    years = defaultdict(set)
    for code, year in q("select department_code, fiscal_year from marts.department_execution "
                        "union select department_code, fiscal_year from marts.project_forms"):
        years[code].add(year)
    report_years = dict(q("select department_code, count(*) from marts.department_execution group by 1"))
    forms = dict(q("select department_code, count(*) from marts.project_forms group by 1"))
    assert set(rows) == set(years) and len(rows) == 15
    for code, (_, entity, _, first, last, count, listed, reports, form_count) in rows.items():
        assert (first, last, count) == (min(years[code]), max(years[code]), len(years[code])), code
        assert listed == ",".join(str(y) for y in sorted(years[code])), code
        assert (reports, form_count) == (report_years.get(code, 0), forms.get(code, 0)), code
        assert entity == ("department" if reports else "project_owner"), code
    assert rows["DEMO-001"] == ("某县水务局", "department", True, 2015, 2020, 6, "2015,2016,2017,2018,2019,2020", 6, 0)
    assert rows["WH-DHZB"] == ("武汉东湖综合保税区建设管理办公室", "department", False, 2017, 2017, 1, "2017", 1, 0)
    # A department known from a project form only: named by its 主管部门, without the form's code (219-).
    assert rows["CZ-GC219"] == ("池州市贵池区棠溪镇人民政府", "project_owner", False, 2022, 2022, 1, "2022", 0, 1)
    assert rows["LJ-ZRZYJ"][:3] == ("丽江市自然资源和规划局", "project_owner", False)
    synthetic = {code for code, r in rows.items() if r[2]}
    assert synthetic == {f"DEMO-{n:03d}" for n in range(1, 13)}


def marts_with_department_code(warehouse) -> list[str]:
    return [t for (t,) in warehouse.query(
        "select table_name from information_schema.columns where table_schema = 'marts' "
        "and column_name = 'department_code' order by 1")]


def test_every_mart_with_a_department_code_names_the_department(bundled_warehouse):
    q = bundled_warehouse.query
    tables = marts_with_department_code(bundled_warehouse)
    assert set(SCORE_MARTS) | {"data_quality_findings", "indicator_completion", "project_forms"} <= set(tables)
    for table in tables:
        columns = [c for (c,) in q("select column_name from information_schema.columns where table_schema = 'marts' "
                                   "and table_name = ? order by ordinal_position", [table])]
        assert columns[columns.index("department_code") + 1] == "department_name", table
        assert q(f"select count(*) from marts.{table} where department_code is not null "
                 "and department_name is null") == [(0,)], table
        # Every department of a mart is one of marts.departments.
        assert q(f"select distinct department_code from marts.{table} where department_code not in "
                 "(select department_code from marts.departments)") == [], table
        # The name of a department-year is the one department_execution gives it.
        if "fiscal_year" in columns:
            assert q(f"""select count(*) from marts.{table} as t join marts.department_execution as e
                         on e.department_code = t.department_code and e.fiscal_year = t.fiscal_year
                         where t.department_name <> e.department_name""") == [(0,)], table
    # A project form's department is named beside the project, in every mart that has one.
    for table in ("project_forms", "project_scores", "indicator_scores"):
        assert ("池州市贵池区棠溪镇人民政府",) in q(
            f"select distinct department_name from marts.{table} where department_code = 'CZ-GC219'"), table


def test_every_indicator_has_one_of_four_statuses(bundled_warehouse):
    q = bundled_warehouse.query
    by_kind = dict(q("select target_kind, list(distinct status order by status) from marts.indicator_completion "
                     "group by 1"))
    assert set().union(*by_kind.values()) == STATUSES
    assert set(by_kind["qualitative"]) == {"met", "partly_met", "not_met"}  # qualitative verdicts count too
    assert by_kind["none"] == ["not_assessable"]
    assert q("select count(*) from marts.indicator_completion where status is null") == [(0,)]
    # The status follows the detailed one, or the verdict where there is no completion.
    mapping = {("met", None): "met", ("partly met", None): "partly_met", ("not met", None): "not_met",
               ("qualitative", "achieved"): "met", ("qualitative", "partly"): "partly_met",
               ("qualitative", "not"): "not_met", ("qualitative", None): "not_assessable",
               ("no target", None): "not_assessable"}
    for detail, assessment, status, basis in q("""
            select distinct status_detail, assessment, status, status_basis from marts.indicator_completion"""):
        key = (detail, assessment if detail == "qualitative" else None)
        assert mapping[key] == status, (detail, assessment, status)
        assert (basis == "assessment") == (detail == "qualitative" and assessment is not None)
    # The seed report (WH-DHZB 2017): its two qualitative indicators, a measured one, a number target with a text
    # actual, and a row without a target.
    rows = dict(((no, part), (status, detail, basis)) for no, part, status, detail, basis in q("""
        select indicator_no, part_no, status, status_detail, status_basis from marts.indicator_completion
        where department_code = 'WH-DHZB' and fiscal_year = 2017"""))
    assert rows[(8, 1)] == ("not_met", "qualitative", "assessment")  # 按考核要求完成 → 重点办回复，暂无项目。
    assert rows[(10, 1)] == ("met", "qualitative", "assessment")  # → 已提前超额完成全年税收指标
    assert rows[(1, 1)] == ("not_met", "not met", "computed")  # 工业投资 50.7%
    assert rows[(7, 1)] == ("met", "qualitative", "assessment")  # 176亿元 → 科创局反馈已完成
    assert rows[(6, 2)] == ("not_assessable", "no target", None)
    # indicator_scores_stated carries the same pair.
    assert q("""select count(*) from marts.indicator_scores_stated as s join marts.indicator_completion as c
                using (department_code, fiscal_year, entity_type, project_code, indicator_no, part_no)
                where s.status <> c.status or s.status_detail <> c.status_detail""") == [(0,)]


def test_findings_give_their_values_as_numbers(bundled_warehouse):
    q = bundled_warehouse.query
    # The seed report states the 因公出国 spending twice: 36.40 in the 三公 table, 36.41 on the budget line.
    assert q("""select stated_value, computed_value, stated_number, computed_number from marts.data_quality_findings
                where department_code = 'WH-DHZB' and check_name = 'stated_twice_differently'""") == [
        ("36.40", "36.41", D("36.4"), D("36.41"))]
    # A percentage or a text is no number; every plain number is one.
    assert q("select count(*) from marts.data_quality_findings where stated_value like '%\\%%' escape '\\' "
             "and stated_number is not null") == [(0,)]
    grammar = re.compile(yaml.safe_load((PROJECT_ROOT / "dbt_project/dbt_project.yml").read_text(
        encoding="utf-8"))["vars"]["number_grammar"])
    for value, number in q("select stated_value, stated_number from marts.data_quality_findings "
                           "union all select computed_value, computed_number from marts.data_quality_findings"):
        plain = value is not None and grammar.fullmatch(value.strip()) is not None
        assert (number is not None) == plain, value
        if plain:
            assert number == D(value.strip().replace(",", "")), value
    assert q("select count(stated_number) > 0 and count(computed_number) > 0 from marts.data_quality_findings") == [
        (True,)]


def rating_columns() -> dict[str, str]:
    return pefa_rating_columns([rs for rs in load_rule_sets() if rs.applies_to == "department"])


def test_pefa_ratings_as_columns(bundled_warehouse):
    q = bundled_warehouse.query
    columns = rating_columns()
    assert columns == {"PI-1 总体支出执行": "pefa_pi1_rating", "PI-2 支出结构执行": "pefa_pi2_rating"}
    items = defaultdict(dict)
    for code, year, rule_set, item, rating in q("""
            select department_code, fiscal_year, rule_set, item, rating from marts.indicator_scores
            where rating is not null"""):
        items[(code, year, rule_set)][columns[item]] = rating
    rows = q("select department_code, fiscal_year, rule_set, pefa_ratings, pefa_pi1_rating, pefa_pi2_rating "
             "from marts.department_scores")
    rated = 0
    for code, year, rule_set, packed, pi1, pi2 in rows:
        unpacked = dict(part.rsplit(" ", 1) for part in packed.split("; ")) if packed else {}
        assert {columns[item]: rating for item, rating in unpacked.items()} == items.get((code, year, rule_set), {})
        assert {"pefa_pi1_rating": pi1, "pefa_pi2_rating": pi2} == {
            c: items.get((code, year, rule_set), {}).get(c) for c in columns.values()}
        rated += pi1 is not None
    assert rated == 73  # every department-year under pefa_outturn, none under the Wuhan rule set
    # The seed report gives one year and no per-line initial budgets: both NR (docs/scoring.md).
    assert q("""select pefa_pi1_rating, pefa_pi2_rating from marts.department_scores
                where department_code = 'WH-DHZB' and rule_set = 'pefa_outturn'""") == [("NR", "NR")]
    # The trends carry the latest window's ratings: those of the department's last year in department_scores.
    last_year = dict(q("select department_code, max(fiscal_year) from marts.department_scores group by 1"))
    trends = q("""select t.department_code, t.pefa_rating_year, t.pefa_pi1_rating, t.pefa_pi2_rating,
                         s.pefa_pi1_rating, s.pefa_pi2_rating
                  from marts.department_score_trends as t
                  left join marts.department_scores as s
                      on s.department_code = t.department_code and s.rule_set = t.rule_set
                      and s.fiscal_year = t.pefa_rating_year
                  where t.rule_set = 'pefa_outturn'""")
    assert len(trends) == 13
    for code, year, t1, t2, s1, s2 in trends:
        assert year == last_year[code] and (t1, t2) == (s1, s2) and t1 is not None, code
    assert q("""select count(*) from marts.department_score_trends where rule_set <> 'pefa_outturn'
                and (pefa_rating_year is not null or pefa_pi1_rating is not null)""") == [(0,)]


@pytest.mark.parametrize("mart", ["department_scores", "department_score_trends"])
def test_pefa_columns_are_text_and_the_year_an_integer(bundled_warehouse, mart):
    types = dict(bundled_warehouse.query(
        "select column_name, data_type from information_schema.columns where table_schema = 'marts' "
        "and table_name = ?", [mart]))
    assert all(types[c] == "VARCHAR" for c in rating_columns().values())
    if mart == "department_score_trends":
        assert types["pefa_rating_year"] == "INTEGER"


def test_score_marts_codes_are_accepted_values(bundled_warehouse):
    """dbt does not build the score marts: their accepted values are checked here."""
    for (mart, column), values in accepted_values(documented_models()).items():
        if mart in SCORE_MARTS:
            found = {v for (v,) in bundled_warehouse.query(
                f"select distinct {column} from marts.{mart} where {column} is not null")}
            assert found and found <= set(values), (mart, column, found - set(values))


def test_code_labels_are_published(bundled_warehouse):
    assert bundled_warehouse.query(
        "select label_zh, label_en from reference.code_labels where column_name = 'status' and code = 'partly_met'"
    ) == [("部分达成", "partly met")]
