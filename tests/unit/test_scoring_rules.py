"""Every scoring rule at its edges, the grade bands at their boundaries, and the refusal of
malformed rule sets with file and line."""

from __future__ import annotations

import re
import shutil
import textwrap
from decimal import Decimal as D
from pathlib import Path

import pytest
from oracle import rules
from oracle.engine import Inputs, Scorer, aggregate, competition_ranks, slope
from oracle.rules import YearValue

from orchestration.scoring.rule_sets import RULE_SETS_DIR, RuleSetError, load_rule_set, load_rule_sets

RULE_SETS = {rs.name: rs for rs in load_rule_sets()}
WUHAN = RULE_SETS["wuhan_2017_department"]


@pytest.mark.parametrize(("score", "grade"), [
    ("100", "优秀"), ("90", "优秀"), ("89.9999", "良好"), ("80", "良好"), ("79.9999", "一般"),
    ("60", "一般"), ("59.9999", "不合格"), ("0", "不合格"),
])
def test_grade_boundaries_fall_in_the_upper_band(score, grade):
    assert WUHAN.grade(D(score)) == grade


def test_every_shipped_rule_set_puts_90_80_60_in_the_upper_band():
    mof = RULE_SETS["mof_2020_project_self_eval"]
    assert [mof.grade(D(s)) for s in ("90", "80", "60", "59.99")] == ["优", "良", "中", "差"]
    pefa = RULE_SETS["pefa_outturn"]
    assert [pefa.grade(D(s)) for s in ("87.5", "62.5", "37.5", "37.49")] == ["A", "B", "C", "D"]
    assert WUHAN.grade(None) is None


def test_execution_rate_is_capped_at_the_weight():
    assert rules.execution_rate(D(10), "execution_rate", D("0.76")).score == D("7.6")
    assert rules.execution_rate(D(10), "execution_rate", D("1.25")).score == D(10)
    assert rules.execution_rate(D(10), "execution_rate", D("-0.1")).score == D(0)


def test_proportional_higher_is_better():
    assert rules.proportional_higher(D(20), "f", D("0.8"), D(1)).score == D(16)
    assert rules.proportional_higher(D(20), "f", D(2), D(1)).score == D(20)  # capped
    assert rules.proportional_higher(D(20), "f", D(1), D(1)).score == D(20)  # met exactly: full weight


def test_proportional_lower_is_better():
    assert rules.proportional_lower(D(10), "f", D(2), D(1)).score == D(5)
    assert rules.proportional_lower(D(10), "f", D("0.5"), D(1)).score == D(10)  # better than target: capped
    assert rules.proportional_lower(D(10), "f", D(0), D(1)).score == D(10)


@pytest.mark.parametrize("target", [D(0), None])
def test_zero_or_missing_target_gives_a_finding_not_a_crash(target):
    for rule in (rules.proportional_higher, rules.proportional_lower):
        outcome = rule(D(10), "f", D("0.9"), target)
        assert outcome.score is None
        assert "target of f is" in outcome.finding


def test_missing_figure_gives_a_finding():
    outcome = rules.deduction_over_standard(D(5), "headcount_control_rate", None, D(1), D("0.5"))
    assert outcome.score is None and outcome.finding == "figure headcount_control_rate is missing"


def test_deduction_per_point_over_the_standard_down_to_zero():
    rule = rules.deduction_over_standard
    assert rule(D(5), "f", D(1), D(1), D("0.5")).score == D(5)  # at the standard: full marks
    assert rule(D(5), "f", D("1.04"), D(1), D("0.5")).score == D(3)  # 4 points over × 0.5
    assert rule(D(5), "f", D("1.1875"), D(1), D("0.5")).score == D(0)  # not below zero
    assert rule(D(5), "f", D("0.9"), D(1), D("0.5")).score == D(5)


def test_qualitative_bands():
    bands = WUHAN.items[-2].params["bands"]  # 效益目标达成情况: Hubei bands 100-80 / 80-50 / 50-0
    assert WUHAN.items[-2].name == "效益目标达成情况"
    scored = {v: rules.qualitative_bands(D(15), "f", D(v), bands) for v in ("1", "0.8", "0.79", "0.5", "0.49", "0")}
    assert {v: o.score for v, o in scored.items()} == {
        "1": D(15), "0.8": D(15), "0.79": D("9.75"), "0.5": D("9.75"), "0.49": D("3.75"), "0": D("3.75")}
    assert "partly" in scored["0.5"].explanation


def test_pefa_rating_two_of_three_years():
    pi1 = RULE_SETS["pefa_outturn"].items[0]
    p = pi1.params

    def rate(*values):
        history = [YearValue(2015 + i, None if v is None else D(v)) for i, v in enumerate(values)]
        return rules.pefa_rating(pi1.weight, "outturn_ratio", history, p["measure"], p["ratings"], 3, 2)

    assert rate("1.05", "0.95", "1.20").rating == "A"  # 95% and 105% are inside A
    assert rate("1.06", "0.95", "1.20").rating == "B"  # only one year within 5%
    assert rate("1.06", "0.89", "1.20").rating == "C"
    assert rate("1.20", "0.70", "1.00").rating == "D"
    assert rate("1.00", "1.00", "1.00").score == D(50)
    nr = rate(None, None, "1.00")
    assert nr.rating == "NR" and nr.score is None and "a rating needs 2" in nr.finding
    pi2 = RULE_SETS["pefa_outturn"].items[1]
    history = [YearValue(y, D("0.05")) for y in (2015, 2016, 2017)]
    q = pi2.params
    assert rules.pefa_rating(pi2.weight, "composition_variance", history, q["measure"], q["ratings"], 3, 2
                             ).rating == "B"  # A is < 5%: exactly 5% is B


def inputs(**overrides) -> Inputs:
    base = dict(
        departments={("D1", 2020): ("部门一", True)},
        figures={("D1", 2020): {}},
        indicators={},
        self_dimensions={("D1", 2020): {"投入": (D(18), D(20))}},
        self_totals={("D1", 2020): (D(87), "良好")},
        reviewer={},
    )
    base.update(overrides)
    return Inputs(**base)


def scores_by_item(rule_set, data):
    return {s.item: s for s in Scorer(rule_set, data).run()}


def test_judgment_items_take_the_reviewer_then_the_self_evaluation():
    from_self = scores_by_item(WUHAN, inputs())["绩效目标合理性"]
    assert (from_self.score, from_self.score_source) == (D("5.4"), "self")  # 6 × 18/20
    given = {("D1", 2020, WUHAN.name, "绩效目标合理性"): (D(9), "审计局", "")}
    reviewed = scores_by_item(WUHAN, inputs(reviewer=given))
    assert (reviewed["绩效目标合理性"].score, reviewed["绩效目标合理性"].score_source) == (D(6), "reviewer")  # capped
    nothing = scores_by_item(WUHAN, inputs(self_dimensions={}))["绩效目标合理性"]
    assert nothing.score is None and nothing.score_source == "none" and nothing.finding


def indicator(name, level1, kind, target_value=None, rate=None, stated=None, assessment=None, weight=None):
    return dict(indicator_no=1, part_no=1, indicator_name=name, level1=level1, target_kind=kind,
                target_text=str(target_value), target_value=target_value, actual_text="x", completion_rate=rate,
                stated_completion_rate=stated, assessment=assessment, weight=weight, status=None)


def test_indicator_completion_rule_edges():
    mof = RULE_SETS["mof_2020_project_self_eval"]
    data = inputs(indicators={("D1", 2020): [
        indicator("数量", "产出", "quantitative", D(50), rate=D("1.2"), weight=D(30)),
        indicator("成本", "产出", "quantitative", D(90), rate=D("0.9"), weight=D(10)),
        indicator("零目标", "产出", "quantitative", D(0), weight=D(5)),
        indicator("质量", "产出", "qualitative", assessment="partly", weight=D(5)),
    ]})
    got = {s.indicator: s for s in Scorer(mof, data).run() if s.dimension == "产出"}
    assert got["数量"].weight == D(30) and got["数量"].score == D(30)  # capped at its share
    assert got["成本"].score == D(9)
    assert got["零目标"].score is None and "the target is zero" in got["零目标"].finding
    assert got["质量"].score == D("3.5")  # partly: 70% of 5
    totals = aggregate(mof, data, Scorer(mof, data).run())[0]
    assert totals.dimension_scores["产出"] == D("42.5") and totals.unscored_items >= 1


def test_competition_ranks_and_slope():
    ranks = competition_ranks([("a", D(90)), ("b", D(85)), ("c", D(85)), ("d", D(70)), ("e", None)])
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert slope([(2015, D(80)), (2016, D(82)), (2017, D(84))]) == D(2)
    assert slope([(2015, D(80))]) is None


# case: (text in the shipped file, its replacement, text on the line the error must name, message)
MALFORMED = {
    "total": ("total: 100", "total: 90", "total: 90", "dimension weights sum to 100, not to the total 90"),
    "figure": ("figure: headcount_control_rate", "figure: headcount_ratio", "figure: headcount_ratio",
               "unknown figure 'headcount_ratio'"),
    "rule": ("{name: 预算执行率, rule: execution_rate,", "{name: 预算执行率, rule: execution_ratio,", "execution_ratio",
             "unknown rule 'execution_ratio'"),
    "item_weights": ("{name: 绩效目标合理性, rule: judgment, weight: 6,",
                     "{name: 绩效目标合理性, rule: judgment, weight: 7,", "    weight: 20",
                     "dimension '投入': item weights sum to 21, not to its weight 20"),
    "band_gap": ('{grade: 良好, interval: "[80, 90)"}', '{grade: 良好, interval: "[81, 90)"}', "[81, 90)",
                 "must meet with exactly one of them closed"),
    "band_overlap": ('{grade: 优秀, interval: "[90, 100]"}', '{grade: 优秀, interval: "(89, 100]"}', "(89, 100]",
                     "must meet with exactly one of them closed"),
    "interval": ('interval: "[90, 100]"', 'interval: "【100，90】"', "【100，90】", "must look like [80, 90)"),
    "missing_param": ("        standard: 1.0\n", "", "- name: 在职人员控制率",
                      "rule 'deduction_over_standard' needs 'standard'"),
    "not_a_number": ("points_per_point: 0.5", "points_per_point: half", "points_per_point: half", "must be a number"),
    "yaml": ("grade_bands:\n", "grade_bands: [\n", None, "not valid YAML"),
    "applies_to": ("applies_to: department", "applies_to: programme", "applies_to: programme",
                   "applies_to must be one of department, project"),
    "applies_to_missing": ("applies_to: department\n", "", None, "'applies_to' is missing"),
    "project_figure": ("figure: headcount_control_rate", "figure: stated_execution_score", "stated_execution_score",
                       "unknown figure 'stated_execution_score'"),
    "unscored_policy": ("total: 100", "unscored_items: guess\ntotal: 100", "unscored_items: guess",
                        "unscored_items must be one of no_grade, grade_as_zero"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_rule_set_is_refused_with_file_and_line(tmp_path, case):
    old, new, marker, message = MALFORMED[case]
    text = (RULE_SETS_DIR / "wuhan_2017_department.yml").read_text(encoding="utf-8")
    assert old in text, case
    bad_text = text.replace(old, new, 1)
    bad = tmp_path / "wuhan_2017_department.yml"
    bad.write_text(bad_text, encoding="utf-8")
    with pytest.raises(RuleSetError) as error:
        load_rule_set(bad)
    match = re.match(rf"^{re.escape(str(bad))}:(\d+): (.*)$", str(error.value), re.S)
    assert match, str(error.value)
    assert message in match[2], str(error.value)
    if marker is not None:
        lines = bad_text.splitlines()
        assert marker in lines[int(match[1]) - 1], (str(error.value), lines[int(match[1]) - 1])


def test_rule_set_name_must_match_its_file(tmp_path):
    shutil.copy(RULE_SETS_DIR / "pefa_outturn.yml", tmp_path / "pefa_copy.yml")
    with pytest.raises(RuleSetError, match=r"pefa_copy.yml:\d+: name 'pefa_outturn' must equal the file name"):
        load_rule_set(tmp_path / "pefa_copy.yml")


def test_line_numbers_in_the_shipped_file_are_real():
    text = (RULE_SETS_DIR / "wuhan_2017_department.yml").read_text(encoding="utf-8").splitlines()
    for item in WUHAN.items:
        assert item.name in text[item.line - 1], (item.name, item.line)


def test_a_new_rule_set_needs_no_code(tmp_path):
    new = tmp_path / "equal_weights.yml"
    new.write_text(textwrap.dedent("""
        name: equal_weights
        applies_to: department
        title: test
        source_document: test
        total: 10
        grade_bands:
          - {grade: good, interval: "[5, 10]"}
          - {grade: poor, interval: "[0, 5)"}
        dimensions:
          - name: 执行
            weight: 10
            items:
              - {name: 执行率, rule: execution_rate, figure: execution_rate, weight: 10}
    """), encoding="utf-8")
    rule_set = load_rule_set(Path(new))
    data = inputs(figures={("D1", 2020): {"execution_rate": D("0.5")}})
    total = aggregate(rule_set, data, Scorer(rule_set, data).run())[0]
    assert (total.total_score, total.grade) == (D(5), "good")


def rule_set_from(tmp_path: Path, name: str, body: str) -> object:
    path = tmp_path / f"{name}.yml"
    path.write_text(f"name: {name}\n" + textwrap.dedent(body), encoding="utf-8")
    return load_rule_set(path)


FORM_STYLE = """
    applies_to: department
    title: test
    source_document: test
    total: 100
    {extra}
    grade_bands:
      - {{grade: good, interval: "[60, 100]"}}
      - {{grade: poor, interval: "[0, 60)"}}
    dimensions:
      - name: 执行
        weight: 10
        items:
          - name: 执行率
            rule: execution_rate
            figure: execution_rate
            stated_figure: stated_execution_rate
            weight: 10
      - name: 指标
        weight: 90
        items:
          - name: 指标
            rule: indicator_completion
            weight: 90
            level1: ["*"]
            include_unclassified: true
            {scale}
            qualitative_bands:
              - {{level: achieved, min_value: 0.8, share: "[0.8, 1.0]", computed_share: 1.0}}
              - {{level: partly, min_value: 0.6, share: "[0.6, 0.8)", computed_share: 0.7}}
              - {{level: not, min_value: 0, share: "[0, 0.6)", computed_share: 0.3}}
"""


def form_inputs(weights: list[int], execution: D | None = D("0.76"), stated: D | None = None) -> Inputs:
    return inputs(
        figures={("D1", 2020): {"execution_rate": execution, "stated_execution_rate": stated}},
        indicators={("D1", 2020): [
            indicator(f"指标{i}", "产出指标(50分)", "quantitative", D(1), rate=D(1), weight=D(w))
            for i, w in enumerate(weights)]})


def test_indicator_points_are_the_forms_own_never_rescaled_silently(tmp_path):
    rs = rule_set_from(tmp_path, "form_style", FORM_STYLE.format(extra="", scale=""))
    got = {s.indicator: s for s in Scorer(rs, form_inputs([60, 50])).run()}
    # 110 points of indicators under a 90-point item: each keeps its own points, and says so
    assert (got["指标0"].weight, got["指标0"].score, got["指标1"].score) == (D(60), D(60), D(50))
    assert "the form's own points (sum 110) in place of the rule set's 90" in got["指标0"].explanation
    total = aggregate(rs, form_inputs([60, 50]), Scorer(rs, form_inputs([60, 50])).run())[0]
    assert total.total_score == D("117.6")  # 7.6 + 110: reported as it is, not squeezed into 100


def test_scaling_indicator_points_is_explicit_and_noted(tmp_path):
    rs = rule_set_from(tmp_path, "form_scaled", FORM_STYLE.format(extra="", scale="scale_to_weight: true"))
    got = {s.indicator: s for s in Scorer(rs, form_inputs([60, 30])).run()}
    # 90 of 90 already: nothing to scale; 60 + 60 = 120 scaled to 90: 45 each
    assert got["指标0"].score == D(60) and "scaled" not in got["指标0"].explanation
    scaled = {s.indicator: s for s in Scorer(rs, form_inputs([60, 60])).run()}
    assert scaled["指标0"].score == D(45) and "scaled from 120 to 90 (scale_to_weight)" in scaled["指标0"].explanation


def test_a_missing_figure_falls_back_to_the_stated_one(tmp_path):
    rs = rule_set_from(tmp_path, "form_stated", FORM_STYLE.format(extra="", scale=""))
    stated = {s.item: s for s in Scorer(rs, form_inputs([90], execution=None, stated=D("0.95"))).run()}["执行率"]
    assert (stated.score, stated.score_source) == (D("9.5"), "stated")
    computed = {s.item: s for s in Scorer(rs, form_inputs([90], stated=D("0.95"))).run()}["执行率"]
    assert (computed.score, computed.score_source) == (D("7.6"), "computed")  # the computed figure comes first
    neither = {s.item: s for s in Scorer(rs, form_inputs([90], execution=None)).run()}["执行率"]
    assert neither.score is None and neither.score_source == "computed" and neither.finding


def test_a_total_with_unscored_items_carries_no_grade_unless_the_rule_set_says_so(tmp_path):
    data = form_inputs([90], execution=None)  # the execution item cannot be scored
    strict = rule_set_from(tmp_path, "form_strict", FORM_STYLE.format(extra="", scale=""))
    total = aggregate(strict, data, Scorer(strict, data).run())[0]
    assert (total.total_score, total.grade, total.unscored_items) == (D(90), None, 1)
    lenient = rule_set_from(tmp_path, "form_lenient",
                            FORM_STYLE.format(extra="unscored_items: grade_as_zero", scale=""))
    total = aggregate(lenient, data, Scorer(lenient, data).run())[0]
    assert (total.total_score, total.grade) == (D(90), "good")


def test_ranks_are_among_real_and_among_synthetic_departments_apart():
    from oracle.engine import score_rule_set
    data = inputs(
        departments={("R1", 2020): ("真", False), ("R2", 2020): ("真二", False), ("S1", 2020): ("演示", True)},
        figures={k: {"execution_rate": v} for k, v in
                 ((("R1", 2020), D("0.5")), (("R2", 2020), D("0.7")), (("S1", 2020), D("0.9")))},
        self_dimensions={}, self_totals={})
    rs = RULE_SETS["wuhan_2017_department"]
    _, departments = score_rule_set(rs, data, [d.name for d in rs.dimensions], sorted(data.departments))
    ranks = dict(zip(departments["department_code"], departments["rank_in_year"], strict=True))
    assert ranks == {"R2": 1, "R1": 2, "S1": 1}
