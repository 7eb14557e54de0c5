"""Scores every department-year under every department rule set, and every project form under
every project rule set, from the marts of the working database.

Department inputs: marts.department_indicators (the figures), marts.indicator_completion (report
indicators), marts.self_evaluation and the stated total rows of the self-evaluations,
marts.department_execution (names, synthetic flag) and the reviewer scores. Project inputs:
marts.project_forms (the figures, names, synthetic flag, stated totals) and the project indicators
of marts.indicator_completion.
Outputs: marts.indicator_scores, marts.department_scores, marts.project_scores,
marts.department_score_trends. Every row names its department (department_code, department_name);
department_scores and department_score_trends carry the PEFA ratings as text (pefa_ratings,
pefa_rolling_ratings) and one pefa_<indicator>_rating column per pefa_rating item.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import pandas as pd

from oracle import rules
from oracle.rules import Outcome, YearValue, fmt, points
from orchestration.scoring.rule_set_tables import pefa_rating_columns  # the column names, not a score
from orchestration.scoring.rule_sets import Item, RuleSet
from orchestration.sql import sql_name

DeptYear = tuple[str, int]
DIMENSION_PREFIX = "score_"  # department_scores has one score_<dimension> column per dimension


@dataclass
class Inputs:
    # The scored entities: department-years, or project forms keyed by (department/project, year).
    departments: dict[DeptYear, tuple[str, bool]]  # name, is_synthetic
    figures: dict[DeptYear, dict[str, Decimal | None]]
    indicators: dict[DeptYear, list[dict]]
    self_dimensions: dict[DeptYear, dict[str, tuple[Decimal, Decimal]]]  # dimension -> (self score, weight)
    self_totals: dict[DeptYear, tuple[Decimal | None, str | None]]
    reviewer: dict[tuple[str, int, str, str], tuple[Decimal, str | None, str | None]]
    # For project inputs: the entity code of a key → (department_code, project_code).
    projects: dict[str, tuple[str, str]] = field(default_factory=dict)
    entity_type: str = "department"
    # The name of the department of a key, where it is not the entity's own name (a project form's).
    department_names: dict[DeptYear, str | None] = field(default_factory=dict)

    def codes(self, entity: str) -> tuple[str, str | None]:
        return self.projects.get(entity, (entity, None))

    def department_name(self, key: DeptYear) -> str | None:
        if key in self.department_names:
            return self.department_names[key]
        return self.departments[key][0] if self.entity_type == "department" else None


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _year_filters(years: set[int] | None) -> tuple[str, str]:
    """A WHERE clause on fiscal_year for the given years (none when None), and the same as an AND."""
    where = "" if years is None else f"where fiscal_year in ({', '.join(str(int(y)) for y in sorted(years)) or 'null'})"
    return where, where.replace("where", "and", 1)


def read_inputs(con: duckdb.DuckDBPyConnection, figure_names: set[str], years: set[int] | None = None) -> Inputs:
    """The scoring inputs of the given fiscal years (all years when None)."""
    where, also = _year_filters(years)
    departments = {
        (r["department_code"], r["fiscal_year"]): (r["department_name"], bool(r["is_synthetic"]))
        for r in _rows(con, "select department_code, fiscal_year, department_name, is_synthetic "
                            f"from marts.department_execution {where}")
    }
    present = {r[0] for r in con.execute("describe marts.department_indicators").fetchall()}
    columns = sorted(figure_names & present)
    missing = dict.fromkeys(figure_names - present)
    figures = {
        (code, year): {**missing, **dict(zip(columns, values, strict=True))}
        for code, year, *values in con.execute(
            f"select department_code, fiscal_year{''.join(f', {sql_name(c)}' for c in columns)} "
            f"from marts.department_indicators {where}").fetchall()
    }
    indicators: dict[DeptYear, list[dict]] = defaultdict(list)
    for r in _rows(con, f"""
            select department_code, fiscal_year, indicator_no, part_no, indicator_name, level1, level1_name,
                   target_kind, target_text, target_value, actual_text, completion_rate, stated_completion_rate,
                   assessment, weight, status
            from marts.indicator_completion where target_kind <> 'none' and entity_type = 'department' {also}
            order by department_code, fiscal_year, indicator_no, part_no"""):
        indicators[(r["department_code"], r["fiscal_year"])].append(r)
    self_dimensions: dict[DeptYear, dict[str, tuple[Decimal, Decimal]]] = defaultdict(dict)
    self_totals: dict[DeptYear, tuple[Decimal | None, str | None]] = {}
    for r in _rows(con, "select department_code, fiscal_year, dimension, weight, self_score "
                        f"from marts.self_evaluation {where}"):
        if r["self_score"] is not None and r["weight"] is not None:
            self_dimensions[(r["department_code"], r["fiscal_year"])][r["dimension"]] = (r["self_score"], r["weight"])
    # The stated total row, also of a form that states no dimension rows.
    for r in _rows(con, "select department_code, fiscal_year, self_score, stated_grade "
                        f"from staging.stg_reports__self_evaluation where line_type = 'total' {also}"):
        self_totals[(r["department_code"], r["fiscal_year"])] = (r["self_score"], r["stated_grade"])
    reviewer = {
        (r["department_code"], r["fiscal_year"], r["rule_set"], r["item"]): (r["score"], r["reviewer"], r["note"])
        for r in _rows(con, "select department_code, fiscal_year, rule_set, item, score, reviewer, note "
                            f"from staging.stg_reports__reviewer_scores where score is not null {also}")
    }
    return Inputs(departments, figures, dict(indicators), dict(self_dimensions), self_totals, reviewer)


def project_entity(department_code: str, project_code: str) -> str:
    return f"{department_code}/{project_code}"


def read_project_inputs(con: duckdb.DuckDBPyConnection, figure_names: set[str],
                        years: set[int] | None = None) -> Inputs:
    """The scoring inputs of the project forms of the given fiscal years (all years when None)."""
    where, also = _year_filters(years)
    columns = sorted(figure_names)
    departments, figures, self_totals, projects, department_names = {}, {}, {}, {}, {}
    for r in _rows(con, "select department_code, department_name, project_code, fiscal_year, project_name, "
                        "is_synthetic, stated_total_score, stated_grade"
                        f"{''.join(f', {sql_name(c)}' for c in columns)} from marts.project_forms {where}"):
        entity = project_entity(r["department_code"], r["project_code"])
        key = (entity, r["fiscal_year"])
        projects[entity] = (r["department_code"], r["project_code"])
        departments[key] = (r["project_name"], bool(r["is_synthetic"]))
        department_names[key] = r["department_name"]
        figures[key] = {c: r[c] for c in columns}
        self_totals[key] = (r["stated_total_score"], r["stated_grade"])
    indicators: dict[DeptYear, list[dict]] = defaultdict(list)
    for r in _rows(con, f"""
            select department_code, project_code, fiscal_year, indicator_no, part_no, indicator_name, level1,
                   level1_name, target_kind, target_text, target_value, actual_text, completion_rate,
                   stated_completion_rate, assessment, weight, status
            from marts.indicator_completion
            where entity_type = 'project' and (target_kind <> 'none' or weight is not null) {also}
            order by department_code, project_code, fiscal_year, indicator_no, part_no"""):
        indicators[(project_entity(r["department_code"], r["project_code"]), r["fiscal_year"])].append(r)
    return Inputs(departments, figures, dict(indicators), {}, self_totals, {}, projects, "project", department_names)


@dataclass(slots=True)  # not frozen: a frozen dataclass is slow to build, and there are 100,000s of these
class ItemScore:
    department_code: str
    fiscal_year: int
    rule_set: str
    dimension: str
    item: str
    indicator: str
    rule: str
    weight: Decimal
    score: Decimal | None
    score_source: str
    explanation: str
    figure_value: Decimal | None = None
    rating: str | None = None
    finding: str | None = None


@dataclass
class Scorer:
    rule_set: RuleSet
    inputs: Inputs
    scores: list[ItemScore] = field(default_factory=list)

    def run(self, keys: list[DeptYear] | None = None) -> list[ItemScore]:
        for key in sorted(self.inputs.departments) if keys is None else keys:
            for item in self.rule_set.items:
                self.score_item(key, item)
        return self.scores

    def add(self, key: DeptYear, item: Item, outcome: Outcome, source: str, indicator: str | None = None,
            weight: Decimal | None = None, value: Decimal | None = None) -> None:
        self.scores.append(ItemScore(
            key[0], key[1], self.rule_set.name, item.dimension, item.name, indicator or item.figure or item.name,
            item.rule, weight if weight is not None else item.weight, outcome.score, source, outcome.explanation,
            value, outcome.rating, outcome.finding,
        ))

    def figure(self, key: DeptYear, name: str) -> Decimal | None:
        return self.inputs.figures.get(key, {}).get(name)

    def score_item(self, key: DeptYear, item: Item) -> None:
        p, w = item.params, item.weight
        if item.rule == "judgment":
            self.judgment(key, item, item.weight, p.get("self_dimension"))
            return
        if item.rule == "indicator_completion":
            self.indicator_completion(key, item)
            return
        value = self.figure(key, item.figure)
        if item.rule == "execution_rate":
            stated = p.get("stated_figure")
            if value is None and stated and self.figure(key, stated) is not None:
                value = self.figure(key, stated)
                outcome = rules.execution_rate(w, stated, value)
                outcome = _prefixed(outcome, f"{item.figure} missing; the stated figure is used: ")
                self.add(key, item, outcome, "stated", value=value)
                return
            outcome = rules.execution_rate(w, item.figure, value)
        elif item.rule == "proportional_higher":
            outcome = rules.proportional_higher(w, item.figure, value, p["target"])
        elif item.rule == "proportional_lower":
            outcome = rules.proportional_lower(w, item.figure, value, p["target"])
        elif item.rule == "deduction_over_standard":
            outcome = rules.deduction_over_standard(w, item.figure, value, p["standard"], p["points_per_point"])
        elif item.rule == "qualitative_bands":
            outcome = rules.qualitative_bands(w, item.figure, value, p["bands"])
        elif item.rule == "pefa_rating":
            window = int(p["window_years"])
            years = range(key[1] - window + 1, key[1] + 1)
            history = [YearValue(y, self.figure((key[0], y), item.figure)) for y in years]
            outcome = rules.pefa_rating(w, item.figure, history, p["measure"], p["ratings"], window,
                                        int(p["min_years"]))
        else:
            raise AssertionError(item.rule)
        self.add(key, item, outcome, "computed", value=value)

    def judgment(self, key: DeptYear, item: Item, weight: Decimal, self_dimension: str | None,
                 indicator: str | None = None, prefix: str = "") -> None:
        for source in self.rule_set.judgment_sources:
            if source == "reviewer":
                given = self.inputs.reviewer.get((key[0], key[1], self.rule_set.name, item.name))
                if given is not None:
                    outcome = rules.judgment_from_reviewer(weight, *given)
                    self.add(key, item, _prefixed(outcome, prefix), "reviewer", indicator, weight)
                    return
            elif source == "self" and self_dimension:
                dims = self.inputs.self_dimensions.get(key, {})
                if self_dimension in dims:
                    outcome = rules.judgment_from_self(weight, self_dimension, *dims[self_dimension])
                    self.add(key, item, _prefixed(outcome, prefix), "self", indicator, weight)
                    return
        wanted = " or ".join(
            "a reviewer score" if s == "reviewer" else f"a self-evaluation of '{self_dimension}'"
            for s in self.rule_set.judgment_sources if s == "reviewer" or self_dimension)
        reason = f"judgment item without {wanted or 'any source'}"
        self.add(key, item, Outcome(None, prefix + "not scored: " + reason, finding=reason), "none", indicator, weight)

    def indicator_completion(self, key: DeptYear, item: Item) -> None:
        p = item.params
        levels = set(p["level1"])
        chosen = [
            r for r in self.inputs.indicators.get(key, [])
            if "*" in levels or r["level1"] in levels or r.get("level1_name") in levels
            or (r["level1"] is None and p.get("include_unclassified", False))
        ]
        if not chosen:
            self.judgment(key, item, item.weight, p.get("self_dimension"),
                          prefix=f"no report indicators under {'/'.join(sorted(levels))}; ")
            return
        stated = [r["weight"] for r in chosen]
        use_stated = all(v is not None and v > 0 for v in stated)
        stated_sum = sum(stated) if use_stated else None
        scale = Decimal(1)
        if not use_stated:
            basis = "equal shares"
        elif stated_sum == item.weight:
            basis = "the form's points"
        elif p.get("scale_to_weight"):
            scale = item.weight / stated_sum
            basis = f"the form's points scaled from {fmt(stated_sum)} to {fmt(item.weight)} (scale_to_weight)"
        else:
            basis = f"the form's own points (sum {fmt(stated_sum)}) in place of the rule set's {fmt(item.weight)}"
        for r in chosen:
            if use_stated:
                weight = points(r["weight"] * scale)
            else:
                weight = points(item.weight / Decimal(len(chosen)))
            name = r["indicator_name"]
            head = f"{name} ({basis}: {fmt(weight)} of {fmt(item.weight if not use_stated else stated_sum * scale)}): "
            if r["target_kind"] == "quantitative":
                rate, rate_basis = r["completion_rate"], "completion"
                if rate is None and r["stated_completion_rate"] is not None:
                    rate, rate_basis = r["stated_completion_rate"], "stated completion (no rate computable)"
                if rate is not None:
                    score = rules.cap(weight, weight * rate)
                    outcome = Outcome(score, head + f"{rate_basis} {fmt(rate)} × {fmt(weight)}"
                                      f"{' capped at the weight' if rate > 1 else ''} → {fmt(score)}")
                    self.add(key, item, outcome, "computed", name, weight, rate)
                    continue
                if r["target_value"] == 0 or r["assessment"] is None:
                    why = ("the target is zero" if r["target_value"] == 0 else
                           "no completion rate (text actual, or units that differ) and no recognised assessment")
                    reason = f"indicator '{name}': target {r['target_text']!r}, actual {r['actual_text']!r}: {why}"
                    self.add(key, item, Outcome(None, head + "not scored: " + reason, finding=reason), "computed",
                             name, weight)
                    continue
                head += "quantitative target with a text actual, scored on its assessment: "
            band = rules.band_for_assessment(p["qualitative_bands"], r["assessment"] or "")
            if band is None:
                reason = f"indicator '{name}': qualitative actual {r['actual_text']!r} has no recognised assessment"
                self.add(key, item, Outcome(None, head + "not scored: " + reason, finding=reason), "computed", name,
                         weight)
                continue
            score = points(weight * band.computed_share)
            low, high = band.share_range
            outcome = Outcome(score, head + f"{r['actual_text']!r} → {band.level} (band "
                              f"{fmt(low * 100)}-{fmt(high * 100)}%; computed at {fmt(band.computed_share * 100)}%) "
                              f"→ {fmt(score)}")
            self.add(key, item, outcome, "computed", name, weight)


def _prefixed(outcome: Outcome, prefix: str) -> Outcome:
    return Outcome(outcome.score, prefix + outcome.explanation, outcome.finding, outcome.rating)


@dataclass(frozen=True)
class DepartmentScore:
    department_code: str
    department_name: str
    fiscal_year: int
    rule_set: str
    dimension_scores: dict[str, Decimal | None]
    total_score: Decimal | None
    grade: str | None
    self_score: Decimal | None
    self_grade: str | None
    unscored_items: int
    is_synthetic: bool


def aggregate(rule_set: RuleSet, inputs: Inputs, items: list[ItemScore],
              keys: list[DeptYear] | None = None) -> list[DepartmentScore]:
    by_key: dict[DeptYear, list[ItemScore]] = defaultdict(list)
    for s in items:
        by_key[(s.department_code, s.fiscal_year)].append(s)
    out = []
    for key in sorted(inputs.departments) if keys is None else keys:
        scored = by_key.get(key, [])
        dims: dict[str, Decimal | None] = {}
        for d in rule_set.dimensions:
            values = [s.score for s in scored if s.dimension == d.name and s.score is not None]
            dims[d.name] = sum(values, Decimal(0)) if values else None
        known = [v for v in dims.values() if v is not None]
        total = sum(known, Decimal(0)) if known else None
        name, synthetic = inputs.departments[key]
        self_score, self_grade = inputs.self_totals.get(key, (None, None))
        unscored = sum(1 for s in scored if s.score is None)
        out.append(DepartmentScore(
            key[0], name, key[1], rule_set.name, dims, total, rule_set.grade(total, unscored), self_score, self_grade,
            unscored, synthetic,
        ))
    return out


def competition_ranks(values: list[tuple[object, Decimal | None]]) -> dict[object, int]:
    """1224 ranking, highest first: equal totals share a rank and the next rank skips; no total, no rank."""
    ordered = sorted(((k, v) for k, v in values if v is not None), key=lambda kv: kv[1], reverse=True)
    ranks: dict[object, int] = {}
    rank, previous = 0, None
    for position, (key, value) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks


def slope(points_: list[tuple[int, Decimal]]) -> Decimal | None:
    if len(points_) < 2:
        return None
    n = Decimal(len(points_))
    mean_x = sum(Decimal(x) for x, _ in points_) / n
    mean_y = sum(y for _, y in points_) / n
    sxx = sum((Decimal(x) - mean_x) ** 2 for x, _ in points_)
    sxy = sum((Decimal(x) - mean_x) * (y - mean_y) for x, y in points_)
    return points(sxy / sxx)


def dimension_names(rule_sets: list[RuleSet]) -> list[str]:
    """The score_<dimension> columns of department_scores: every dimension of every rule set, in order."""
    names: list[str] = []
    for rs in rule_sets:
        names += [d.name for d in rs.dimensions if d.name not in names]
    return names


def score_rule_set(rs: RuleSet, inputs: Inputs, dimensions: list[str], keys: list[DeptYear],
                   written_years: set[int] | None = None,
                   rating_columns: dict[str, str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Item and department scores of one rule set for the department-years `keys` (their ranks and
    year-on-year changes need every department of the year and the year before among them); only
    the rows of `written_years` (all when None) are returned. `rating_columns`: the PEFA rating columns
    of every department rule set (pefa_rating_columns; this rule set's when None)."""
    if rating_columns is None:
        rating_columns = pefa_rating_columns([rs])
    items = Scorer(rs, inputs).run(keys)
    depts = aggregate(rs, inputs, items, keys)
    totals = {(d.department_code, d.fiscal_year): d.total_score for d in depts}
    ranks: dict[object, int] = {}
    # Ranked within the year among real entities and, apart, among synthetic ones.
    by_year: dict[tuple[int, bool], list[DepartmentScore]] = defaultdict(list)
    for d in depts:
        by_year[(d.fiscal_year, d.is_synthetic)].append(d)
    for (year, _), members in by_year.items():
        ranks.update(competition_ranks([((d.department_code, year), d.total_score) for d in members]))
    ratings = defaultdict(list)
    rated: dict[DeptYear, dict[str, str]] = defaultdict(dict)  # the rating of each PEFA column
    for s in items:
        if s.rating is not None:
            ratings[(s.department_code, s.fiscal_year)].append(f"{s.item} {s.rating}")
            if s.item in rating_columns:
                rated[(s.department_code, s.fiscal_year)][rating_columns[s.item]] = s.rating
    kept = (lambda year: True) if written_years is None else (lambda year: year in written_years)
    dept_rows = []
    for d in depts:
        if not kept(d.fiscal_year):
            continue
        key = (d.department_code, d.fiscal_year)
        previous = totals.get((d.department_code, d.fiscal_year - 1))
        department_code, project_code = inputs.codes(d.department_code)
        identity = ({"department_code": department_code, "department_name": d.department_name}
                    if inputs.entity_type == "department" else
                    {"department_code": department_code, "department_name": inputs.department_name(key),
                     "project_code": project_code, "project_name": d.department_name})
        dept_rows.append({
            **identity,
            "fiscal_year": d.fiscal_year, "rule_set": rs.name,
            **{f"{DIMENSION_PREFIX}{name}": _text(d.dimension_scores.get(name)) for name in dimensions},
            "total_score": _text(d.total_score), "grade": d.grade,
            "self_score": _text(d.self_score), "self_grade": d.self_grade,
            "score_gap": _text(d.self_score - d.total_score
                               if d.self_score is not None and d.total_score is not None else None),
            "rank_in_year": ranks.get(key),
            "yoy_change": _text(d.total_score - previous
                                if d.total_score is not None and previous is not None else None),
            "pefa_ratings": "; ".join(ratings[key]) or None,
            **{column: rated[key].get(column) for column in rating_columns.values()},
            "unscored_items": d.unscored_items, "is_synthetic": d.is_synthetic,
        })
    item_rows = [_item_row(s, inputs) for s in items if kept(s.fiscal_year)]
    columns = (department_score_columns(dimensions, list(rating_columns.values()))
               if inputs.entity_type == "department" else project_score_columns(dimensions))
    return (pd.DataFrame.from_records(item_rows, columns=ITEM_COLUMNS), pd.DataFrame(dept_rows, columns=columns))


def department_score_columns(dimensions: list[str], rating_columns: list[str] = ()) -> list[str]:
    """The columns of department_scores: the PEFA rating columns follow the packed pefa_ratings."""
    after = DEPARTMENT_COLUMNS.index("pefa_ratings") + 1
    return ["department_code", "department_name", "fiscal_year", "rule_set",
            *(f"{DIMENSION_PREFIX}{name}" for name in dimensions), *DEPARTMENT_COLUMNS[:after], *rating_columns,
            *DEPARTMENT_COLUMNS[after:]]


def project_score_columns(dimensions: list[str]) -> list[str]:
    return ["department_code", "department_name", "project_code", "project_name", "fiscal_year", "rule_set",
            *(f"{DIMENSION_PREFIX}{name}" for name in dimensions),
            *(c for c in DEPARTMENT_COLUMNS if c != "pefa_ratings")]


def trend_columns(rating_columns: list[str] = ()) -> list[str]:
    """The columns of department_score_trends: the latest window's PEFA ratings follow the packed ones."""
    after = TREND_COLUMNS.index("pefa_rolling_ratings") + 1
    return [*TREND_COLUMNS[:after], "pefa_rating_year", *rating_columns, *TREND_COLUMNS[after:]]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


DEPARTMENT_COLUMNS = ["total_score", "grade", "self_score", "self_grade", "score_gap", "rank_in_year", "yoy_change",
                      "pefa_ratings", "unscored_items", "is_synthetic"]
ITEM_COLUMNS = ["department_code", "department_name", "fiscal_year", "entity_type", "project_code", "rule_set",
                "dimension", "item", "indicator", "rule", "weight", "score", "score_source", "explanation",
                "figure_value", "rating", "finding", "is_synthetic"]
TREND_COLUMNS = ["department_code", "department_name", "rule_set", "years_covered", "first_year", "last_year",
                 "mean_score", "first_score", "last_score", "trend_slope", "best_year", "worst_year",
                 "pefa_rolling_ratings", "is_synthetic"]


def _item_row(s: ItemScore, inputs: Inputs) -> tuple:
    """A row of ITEM_COLUMNS."""
    department_code, project_code = inputs.codes(s.department_code)
    key = (s.department_code, s.fiscal_year)
    is_synthetic = inputs.departments[key][1]
    return (department_code, inputs.department_name(key), s.fiscal_year, inputs.entity_type, project_code,
            s.rule_set, s.dimension, s.item, s.indicator, s.rule, _text(s.weight), _text(s.score), s.score_source,
            s.explanation, _text(s.figure_value), s.rating, s.finding, is_synthetic)


def trend_rows(rs: RuleSet, totals: list[tuple[str, int, Decimal | None, bool, str | None]],
               ratings: list[tuple[str, int, str, str]], rating_columns: dict[str, str] | None = None) -> list[dict]:
    """One row per department of the rule set's scores: its series of totals and its PEFA windows.

    totals: (department, year, total score, is_synthetic, department name), every year; ratings:
    (department, year, item, rating) of the rule set's PEFA items. The ratings of the latest rated year
    (pefa_rating_year: the window ending in it) fill the pefa_<indicator>_rating columns
    (`rating_columns`, pefa_rating_columns of every department rule set; this rule set's when None)."""
    if rating_columns is None:
        rating_columns = pefa_rating_columns([rs])
    windows: dict[str, list[str]] = defaultdict(list)
    window_of = {i.name: int(i.params["window_years"]) for i in rs.items if i.rule == "pefa_rating"}
    rating_year: dict[str, int] = {}
    latest: dict[str, dict[str, str]] = defaultdict(dict)
    for code, year, item, rating in sorted(ratings):
        window = window_of.get(item, 1)
        windows[code].append(f"{year - window + 1}-{year} {item} {rating}")
        if year != rating_year.get(code):  # sorted by year: a later year starts over
            rating_year[code], latest[code] = year, {}
        if item in rating_columns:
            latest[code][rating_columns[item]] = rating
    series_of: dict[str, list[tuple[int, Decimal]]] = defaultdict(list)
    synthetic: dict[str, bool] = {}
    name_of: dict[str, tuple[int, str | None]] = {}
    for code, year, total, is_synthetic, name in totals:
        synthetic[code] = is_synthetic
        if code not in name_of or year > name_of[code][0]:
            name_of[code] = (year, name)  # the name of the latest year
        if total is not None:
            series_of[code].append((year, total))
    rows = []
    for code in sorted(synthetic):
        series = sorted(series_of.get(code, []))
        pefa = {"pefa_rolling_ratings": "; ".join(windows[code]) or None, "pefa_rating_year": rating_year.get(code),
                **{column: latest[code].get(column) for column in rating_columns.values()}}
        identity = {"department_code": code, "department_name": name_of[code][1], "rule_set": rs.name}
        if not series:
            rows.append({**identity, "years_covered": 0, **pefa, "is_synthetic": synthetic[code]})
            continue
        best = max(series, key=lambda p: (p[1], p[0]))  # the latest year on a tie
        worst = min(series, key=lambda p: (p[1], p[0]))  # the earliest year on a tie
        rows.append({
            **identity, "years_covered": len(series),
            "first_year": series[0][0], "last_year": series[-1][0],
            "mean_score": _text(points(sum(v for _, v in series) / len(series))),
            "first_score": _text(series[0][1]), "last_score": _text(series[-1][1]),
            "trend_slope": _text(slope(series)), "best_year": best[0], "worst_year": worst[0],
            **pefa, "is_synthetic": synthetic[code],
        })
    return rows
