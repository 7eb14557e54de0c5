"""Deterministic synthetic demo data in the raw data contract, with recorded, deliberately injected
inconsistencies.

    python -m tools.demo_data --out DIR --departments N --years 2015-2020 --seed 42 \\
        --layout {per-department,consolidated} [--inconsistency-rate 0.08]

Distributions, name pools, indicator templates and the injection kinds with their shares come from
contract/demo_profile.yaml. Figures are exact decimals (万元, 2 decimals) and internally consistent except
for the injections, each of which is recorded in DIR/_injections.csv with its file, spreadsheet row
(header = 1), contract column, stated and correct value, so that a data-quality check can be compared
against exactly what was injected.

Injections come in two stages. "Model" kinds change the underlying figures before the tables are written,
so that everything derived from them stays consistent (a budget adjusted down to the spending, a 三公
category over its budget). "Cell" kinds then change one written cell of the rendered tables (or a
stated total together with the figures the report derives from it). A department-year file takes at most
one injection, so that every finding has a single cause; correct_value is the cell's value before the
injection.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import random
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

from orchestration.contract import PROJECT_ROOT, load_contract

PROFILE_PATH = PROJECT_ROOT / "contract" / "demo_profile.yaml"
MANIFEST_NAME = "_injections.csv"
DEMO_CONTRACT_VERSION = 1
MANIFEST_COLUMNS = ("kind", "department_code", "fiscal_year", "file", "row", "column", "stated_value",
                    "correct_value", "note")
CONSOLIDATED_FOLDER = "demo-bureau-export"
LAYOUTS = ("per-department", "consolidated")
UNIT = "万元"
CENT = Decimal("0.01")
TENTH = Decimal("0.1")
YUAN_PER_WAN = Decimal(10000)

Key = tuple[str, int]  # (department_code, fiscal_year)
Row = dict[str, str]
Spec = dict[str, Any]


# ---------------------------------------------------------------------------------------------------
# Numbers as departments write them


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def cents(count: int) -> Decimal:
    """An integer number of cents (of 万元) as an exact amount."""
    return Decimal(count).scaleb(-2)


def fmt_amount(value: Decimal, thousands: bool = False) -> str:
    value = q2(value)
    return f"{value:,.2f}" if thousands else f"{value:.2f}"


def fmt_number(value: Decimal) -> str:
    """A weight, score or indicator value without trailing zeros: 8, 7.5, 0.5."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def pct_text(percent: Decimal, decimals: int) -> str:
    rounded = percent.quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)
    return f"{abs(rounded) if rounded == 0 else rounded}%"


def fmt_rate(num: Decimal, den: Decimal, decimals: int) -> str:
    """num / den as a percentage rounded half up at `decimals`; empty when the denominator is 0."""
    return "" if den == 0 else pct_text(num * 100 / den, decimals)


# ---------------------------------------------------------------------------------------------------
# Drawing


def uniform(rng: random.Random, spec: Spec) -> float:
    return rng.uniform(float(spec["min"]), float(spec["max"]))


def randint(rng: random.Random, spec: Spec) -> int:
    return rng.randint(int(spec["min"]), int(spec["max"]))


def weighted(rng: random.Random, weights: dict[Any, float]) -> Any:
    keys = list(weights)
    return rng.choices(keys, weights=[float(weights[k]) for k in keys])[0]


def mixture(rng: random.Random, components: list[Spec]) -> tuple[float, Spec]:
    component = rng.choices(components, weights=[float(c["share"]) for c in components])[0]
    return uniform(rng, component), component


def decimal_draw(rng: random.Random, low: float, high: float, decimals: int) -> Decimal:
    return Decimal(round(rng.uniform(low, high) * 10**decimals)).scaleb(-decimals)


def split_int(total: int, weights: list[float]) -> list[int]:
    """Integer parts proportional to the weights that add up to `total` exactly (largest remainder)."""
    sign, total = (-1, -total) if total < 0 else (1, total)
    weight_sum = sum(weights)
    raw = [total * w / weight_sum for w in weights]
    parts = [int(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: (parts[i] - raw[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return [sign * p for p in parts]


# ---------------------------------------------------------------------------------------------------
# The model of a department-year


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    projects: tuple[tuple[str, str], ...]  # (project name, economic class), in the department's order
    established: str
    divisions: tuple[str, ...]
    size: float  # position in the size range, 0..1
    no_overseas: bool


@dataclass(frozen=True)
class Style:
    rate_decimals: int
    thousands: bool
    states_prior_actual: bool


@dataclass
class Headcount:
    category: str
    count: int
    note: str = ""


@dataclass
class Line:
    name: str
    expenditure_type: str  # basic | project
    economic_class: str
    initial: Decimal
    adjustment: Decimal
    actual: Decimal
    cause: str = ""  # why it was under-spent, where it was

    @property
    def final(self) -> Decimal:
        return self.initial + self.adjustment


@dataclass(frozen=True)
class Totals:
    initial: Decimal
    adjustment: Decimal
    final: Decimal
    actual: Decimal


@dataclass
class PublicItem:
    code: str
    name: str
    budget: Decimal
    actual: Decimal
    from_zero: bool = False  # growth_from_zero: the row states a change against a prior-year 0


@dataclass
class Indicator:
    level1: str
    level2: str
    name: str
    target_text: str
    actual_text: str
    weight: Decimal
    score: Decimal
    reason: str
    op: str | None  # ≥ ≤ = or "" (bare target); None: qualitative or slash-packed
    unit: str = ""
    target: Decimal | None = None
    decimals: int = 0


@dataclass
class Dimension:
    name: str
    weight: Decimal
    deduction: Decimal
    comment: str  # may hold {rate}: the department-year's execution rate as written

    @property
    def score(self) -> Decimal:
        return self.weight - self.deduction


@dataclass
class DeptYear:
    dept: Department
    year: int
    style: Style
    retirees: int
    authorized: list[Headcount]
    actual: list[Headcount]
    lines: list[Line]
    public: list[PublicItem]
    indicators: list[Indicator]
    dimensions: list[Dimension]

    @property
    def key(self) -> Key:
        return (self.dept.code, self.year)

    def totals(self) -> Totals:
        return Totals(
            initial=sum((ln.initial for ln in self.lines), Decimal(0)),
            adjustment=sum((ln.adjustment for ln in self.lines), Decimal(0)),
            final=sum((ln.final for ln in self.lines), Decimal(0)),
            actual=sum((ln.actual for ln in self.lines), Decimal(0)),
        )

    def amount(self, value: Decimal) -> str:
        return fmt_amount(value, self.style.thousands)

    def rate(self, num: Decimal, den: Decimal) -> str:
        return fmt_rate(num, den, self.style.rate_decimals)

    @property
    def staffing_total_index(self) -> int:
        return len(self.authorized) + len(self.actual)


@dataclass
class _Carry:
    """What a department carries from one year to the next."""

    initial_total: Decimal
    authorized: list[Headcount]
    public_level: dict[str, Decimal]
    retirees: int


# ---------------------------------------------------------------------------------------------------
# Departments


def _departments(profile: Spec, count: int, seed: int) -> list[Department]:
    cfg = profile["departments"]
    pool = [(prefix, sector) for prefix in cfg["name_prefixes"] for sector in cfg["sectors"]]
    random.Random(f"{seed}/names").shuffle(pool)
    generic = [(name, cls) for cls, names in profile["budget"]["generic_projects"].items() for name in names]
    out = []
    for i in range(count):
        prefix, sector = pool[i % len(pool)]
        suffix = f"（{i // len(pool) + 1}）" if i >= len(pool) else ""
        code = cfg["code_format"].format(n=i + 1)
        rng = random.Random(f"{seed}/department/{code}/profile")
        own = [(name, cls) for cls, names in sector["projects"].items() for name in names]
        projects = own + [p for p in generic if p not in own]
        rng.shuffle(projects)
        year = randint(rng, cfg["established_year"])
        pool_size = len(cfg["division_pool"])
        divisions = rng.sample(cfg["division_pool"], min(randint(rng, cfg["division_count"]), pool_size))
        out.append(Department(
            code=code, name=f"{prefix}{sector['name']}{suffix}", projects=tuple(projects),
            established=f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            divisions=tuple(divisions), size=rng.random(),
            no_overseas=rng.random() < float(profile["three_public"]["no_overseas_share"]),
        ))
    return out


def _log_range(spec: Spec, position: float) -> float:
    low, high = float(spec["min"]), float(spec["max"])
    return low * (high / low) ** min(1.0, max(0.0, position))


def _first_carry(rng: random.Random, dept: Department, profile: Spec) -> _Carry:
    size = profile["size"]
    initial = Decimal(round(_log_range(size["initial_budget"], dept.size)))
    headcount = round(_log_range(size["authorized_headcount"], dept.size + rng.gauss(0, size["headcount_noise"])))
    categories = profile["staffing"]["categories"]
    counts = split_int(headcount, [uniform(rng, c["share"]) for c in categories])
    authorized = [Headcount(c["authorized"], n) for c, n in zip(categories, counts, strict=True) if n > 0]
    tp = profile["three_public"]
    bounds = tp["total_bounds"]
    total = min(float(bounds["max"]), max(float(bounds["min"]), float(initial) * uniform(rng, tp["share_of_budget"])))
    shares = {c["code"]: uniform(rng, tp["split"][c["code"]]) for c in tp["categories"]}
    if dept.no_overseas:
        shares[tp["categories"][0]["code"]] = 0.0
    levels = split_int(round(total * 100), list(shares.values()))
    return _Carry(
        initial_total=initial, authorized=authorized,
        public_level={code: cents(n) for code, n in zip(shares, levels, strict=True)},
        retirees=round(headcount * uniform(rng, size["retiree_ratio"])),
    )


def _advance(rng: random.Random, carry: _Carry, profile: Spec) -> None:
    growth = Decimal(str(round(uniform(rng, profile["size"]["yearly_growth"]), 4)))
    carry.initial_total = max(Decimal(100), (carry.initial_total * (1 + growth)).quantize(Decimal(1), ROUND_HALF_UP))
    if rng.random() < float(profile["staffing"]["authorized_change_share"]):
        item = rng.choice(carry.authorized)
        item.count = max(1, item.count + rng.choice([-3, -2, -1, 1, 2, 3]))
    for code, level in carry.public_level.items():
        change = uniform(rng, profile["three_public"]["yearly_change"])
        carry.public_level[code] = q2(level * Decimal(str(round(1 + change, 4))))
    carry.retirees = max(0, carry.retirees + rng.randint(-2, 3))


def _department_years(dept: Department, years: list[int], profile: Spec, seed: int) -> list[DeptYear]:
    rng = random.Random(f"{seed}/department/{dept.code}/years")
    carry = _first_carry(rng, dept, profile)
    out = []
    for i, year in enumerate(years):
        if i:
            _advance(rng, carry, profile)
        out.append(_department_year(rng, dept, year, carry, profile))
    return out


def _department_year(rng: random.Random, dept: Department, year: int, carry: _Carry, profile: Spec) -> DeptYear:
    budget = profile["budget"]
    style = Style(
        rate_decimals=int(weighted(rng, budget["rate_decimals"])),
        thousands=rng.random() < float(budget["thousands_separator_share"]),
        states_prior_actual=rng.random() < float(profile["three_public"]["prior_year_actual_share"]),
    )
    authorized = [Headcount(h.category, h.count) for h in carry.authorized]
    lines = _budget_lines(rng, dept, carry.initial_total, budget)
    execution = sum((ln.actual for ln in lines), Decimal(0)) / sum((ln.final for ln in lines), Decimal(0))
    return DeptYear(
        dept=dept, year=year, style=style, retirees=carry.retirees, authorized=authorized,
        actual=_actual_staff(rng, authorized, profile["staffing"]), lines=lines,
        public=_three_public(rng, carry, profile["three_public"]),
        indicators=_indicators(rng, profile["indicators"]),
        dimensions=_dimensions(rng, profile["self_evaluation"], execution),
    )


# ---------------------------------------------------------------------------------------------------
# Staffing, budget lines, 三公


def _actual_staff(rng: random.Random, authorized: list[Headcount], cfg: Spec) -> list[Headcount]:
    names = {c["authorized"]: c["actual"] for c in cfg["categories"]}
    actual = []
    for item in authorized:
        count = item.count - round(item.count * uniform(rng, cfg["vacancy_ratio"]))
        category = names[item.category]
        note = cfg["notes"].get(category, "") if rng.random() < 0.15 else ""
        actual.append(Headcount(category, max(1, count), note))
    room = sum(h.count for h in authorized) - sum(h.count for h in actual)
    if room > 0 and rng.random() < float(cfg["seconded_share"]):
        actual.append(Headcount("借调人员", min(room, rng.randint(1, 2)), cfg["notes"].get("借调人员", "")))
    return actual


def _budget_lines(rng: random.Random, dept: Department, initial_total: Decimal, cfg: Spec) -> list[Line]:
    basic = cfg["basic_lines"]
    n_project = min(randint(rng, cfg["lines"]) - len(basic), len(dept.projects))
    adjustment_rate = _adjustment_rate(rng, cfg["adjustment"])
    n_new = min(randint(rng, cfg["new_projects"]), n_project - 1) if adjustment_rate > 0 else 0
    projects = [dept.projects[i] for i in sorted(rng.sample(range(len(dept.projects)), n_project))]

    total_wan = int(initial_total)
    basic_wan = round(total_wan * uniform(rng, cfg["basic_share"]))
    sigma = float(cfg["line_size_sigma"])
    basic_initial = split_int(basic_wan, [float(b["weight"]) * rng.uniform(0.8, 1.2) for b in basic])
    # Every line starts with at least 1 万元.
    project_initial = [n + 1 for n in split_int(total_wan - basic_wan - (n_project - n_new),
                                                 [rng.lognormvariate(0, sigma) for _ in projects[n_new:]])]
    lines = [Line(b["name"], "basic", b["class"], Decimal(n), Decimal(0), Decimal(0))
             for b, n in zip(basic, basic_initial, strict=True)]
    lines += [Line(name, "project", cls, Decimal(n), Decimal(0), Decimal(0))
              for (name, cls), n in zip(projects[n_new:], project_initial, strict=True)]

    adjustment = round(total_wan * 100 * adjustment_rate)
    if n_new:
        new_part = round(adjustment * uniform(rng, cfg["new_project_share"]))
        finals = split_int(new_part, [rng.lognormvariate(0, sigma) for _ in range(n_new)])
        lines += [Line(cfg["new_project_prefix"] + name, "project", cls, Decimal(0), cents(n), Decimal(0))
                  for (name, cls), n in zip(projects[:n_new], finals, strict=True)]
        adjustment -= new_part
    _spread_adjustment(rng, lines[: len(lines) - n_new], adjustment, float(cfg["adjustment"]["basic_weight"]))
    for line in lines:
        _spend(rng, line, cfg)
    return lines


def _adjustment_rate(rng: random.Random, cfg: Spec) -> float:
    if rng.random() < float(cfg["negative_share"]):
        return uniform(rng, cfg["negative"])
    return uniform(rng, cfg["positive"])


def _spread_adjustment(rng: random.Random, lines: list[Line], adjustment: int, basic_weight: float) -> None:
    weights = [float(ln.initial) * rng.uniform(0.5, 1.5) * (basic_weight if ln.expenditure_type == "basic" else 1)
               for ln in lines]
    for line, part in zip(lines, split_int(adjustment, weights), strict=True):
        line.adjustment = max(cents(part), q2(-line.initial * Decimal("0.9")))


def _spend(rng: random.Random, line: Line, cfg: Spec) -> None:
    execution = cfg["execution"]
    if line.expenditure_type == "basic":
        rate = uniform(rng, execution["basic"])
    else:
        rate, _ = mixture(rng, execution["project"])
    final_cents = int(line.final * 100)
    actual_cents = min(final_cents, round(final_cents * rate))
    if actual_cents == final_cents and line.adjustment != 0 and actual_cents > 1:
        # A clean line never spends exactly an adjusted budget: that is the injected
        # budget_adjusted_to_spending pattern, which the checks must find only where it was injected.
        actual_cents -= 1
    line.actual = cents(actual_cents)
    if line.expenditure_type == "project" and rate < float(cfg["reason_below"]):
        line.cause = rng.choice(cfg["variance_causes"])


def _three_public(rng: random.Random, carry: _Carry, cfg: Spec) -> list[PublicItem]:
    items = []
    for category in cfg["categories"]:
        actual = carry.public_level[category["code"]]
        budget = Decimal(0)
        if actual > 0:
            budget = actual / Decimal(str(round(uniform(rng, cfg["usage"]), 4)))
            # Budgets are mostly set in whole 万元.
            budget = budget.quantize(Decimal(1), ROUND_HALF_UP) if budget >= 5 else q2(budget)
            budget = max(budget, actual)
        items.append(PublicItem(category["code"], category["name"], budget, actual))
    return items


# ---------------------------------------------------------------------------------------------------
# Indicators and self-evaluation


def _indicators(rng: random.Random, cfg: Spec) -> list[Indicator]:
    count = randint(rng, cfg["count"])
    levels = cfg["levels"]
    sizes = [max(sum(lv.get("min_rows", {}).values()), round(count * float(lv["share"]))) for lv in levels]
    sizes[0] += count - sum(sizes)
    out = []
    for level, size in zip(levels, sizes, strict=True):
        templates = _pick_templates(rng, level, size, cfg["templates"])
        weights = split_int(int(level["weight"]), [1.0] * len(templates))
        rng.shuffle(weights)
        for (level2, template), weight in zip(templates, weights, strict=True):
            out.append(_indicator(rng, level["name"], level2, template, Decimal(weight), cfg))
    return out


def _pick_templates(rng: random.Random, level: Spec, size: int, templates: Spec) -> list[tuple[str, Spec]]:
    order = {name: i for i, name in enumerate(level["level2"])}
    pool = [(l2, i) for l2 in level["level2"] for i in range(len(templates[l2]))]
    chosen: list[tuple[str, int]] = []
    for l2, minimum in level.get("min_rows", {}).items():
        chosen += rng.sample([p for p in pool if p[0] == l2], minimum)
    rest = [p for p in pool if p not in chosen]
    chosen += rng.sample(rest, min(len(rest), size - len(chosen)))
    chosen.sort(key=lambda p: (order[p[0]], p[1]))
    return [(l2, templates[l2][i]) for l2, i in chosen]


def _indicator(rng: random.Random, level1: str, level2: str, template: Spec, weight: Decimal, cfg: Spec) -> Indicator:
    if "qualitative" in template:
        return _qualitative(rng, level1, level2, template, weight, cfg)
    if "parts" in template:
        return _packed(rng, level1, level2, template, weight, cfg)
    op, unit, decimals = template["op"], template["unit"], int(template.get("decimals", 0))
    low, high = (float(v) for v in template["range"])
    target = decimal_draw(rng, low, high, decimals)
    actual, ratio = _achieve(rng, op, target, unit, decimals, cfg, template.get("cap"))
    score = weight if ratio >= 1 else (weight * ratio).quantize(TENTH, ROUND_HALF_UP)
    return Indicator(
        level1, level2, template["name"], f"{op}{fmt_number(target)}{unit}",
        _actual_text(rng, op, actual, target, unit, cfg), weight, score,
        rng.choice(cfg["deviation_reasons"]) if score < weight else "", op, unit, target, decimals,
    )


def _achieve(rng: random.Random, op: str, target: Decimal, unit: str, decimals: int, cfg: Spec,
             cap: float | None = None) -> tuple[Decimal, Decimal]:
    """An actual value for a target, and its completion ratio (1 or more = met)."""
    factor, component = mixture(rng, cfg["completion"])
    met = component["status"] == "met"
    places = max(decimals, 1) if unit == "%" else decimals
    if op == "≤":
        factor = rng.uniform(0.8, 1.0) if met else rng.uniform(1.02, 1.25)
    elif op == "=":
        factor = 1.0 if met else rng.uniform(0.9, 0.995)
    elif unit == "%" and met and target < 100:
        factor = 1 + (100 / float(target) - 1) * rng.random()  # a met percentage lies between target and 100
    actual = (target * Decimal(str(round(factor, 6)))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    if unit == "%" or cap is not None:
        actual = min(actual, Decimal(100 if cap is None else str(cap)))
    if actual <= 0:
        actual = Decimal(1).scaleb(-places)
    ratio = target / actual if op == "≤" else actual / target
    return actual, ratio


def _actual_text(rng: random.Random, op: str, actual: Decimal, target: Decimal, unit: str, cfg: Spec) -> str:
    if rng.random() < float(cfg["bare_actual_share"]):
        return fmt_number(actual)
    text = f"{fmt_number(actual)}{unit}"
    if op in ("≥", "") and unit != "%" and rng.random() < float(cfg["stated_completion_share"]):
        text += f"（{fmt_rate(actual, target, rng.choice([1, 2]))}）"
    return text


def _qualitative(rng: random.Random, level1: str, level2: str, template: Spec, weight: Decimal,
                 cfg: Spec) -> Indicator:
    actual = weighted(rng, cfg["qualitative_actuals"])
    share = Decimal(str(round(uniform(rng, cfg["qualitative_score_share"][actual]), 4)))
    score = (weight * share).quantize(TENTH, ROUND_HALF_UP)
    reason = rng.choice(cfg["deviation_reasons"]) if score < weight else ""
    return Indicator(level1, level2, template["name"], rng.choice(template["qualitative"]), actual, weight, score,
                     reason, None)


def _packed(rng: random.Random, level1: str, level2: str, template: Spec, weight: Decimal, cfg: Spec) -> Indicator:
    targets, actuals, ratios = [], [], []
    for part in template["parts"]:
        decimals = int(part.get("decimals", 0))
        target = decimal_draw(rng, float(part["range"][0]), float(part["range"][1]), decimals)
        actual, ratio = _achieve(rng, "", target, part["unit"], decimals, cfg)
        targets.append(f"{fmt_number(target)}{part['unit']}")
        actuals.append(f"{fmt_number(actual)}{part['unit']}")
        ratios.append(min(Decimal(1), ratio))
    score = (weight * min(ratios)).quantize(TENTH, ROUND_HALF_UP)
    reason = rng.choice(cfg["deviation_reasons"]) if score < weight else ""
    return Indicator(level1, level2, template["name"], "/".join(targets), "/".join(actuals), weight, score, reason,
                     None)


def _dimensions(rng: random.Random, cfg: Spec, execution_rate: Decimal) -> list[Dimension]:
    s = cfg["score"]
    mean = float(s["mean"]) + float(s["execution_slope"]) * (float(execution_rate) - float(s["reference_rate"]))
    total = min(float(s["max"]), max(float(s["min"]), rng.gauss(mean, float(s["sd"]))))
    step = Decimal(str(s["step"]))
    dims = cfg["dimensions"]
    full = sum(Decimal(str(d["weight"])) for d in dims)
    steps = int((full - Decimal(str(total))) / step)
    deductions = split_int(steps, [float(d["weight"]) * rng.uniform(0.5, 1.5) for d in dims])
    return [Dimension(d["name"], Decimal(str(d["weight"])), n * step, rng.choice(d["comments"]))
            for d, n in zip(dims, deductions, strict=True)]


def grade_for(bands: list[Spec], score: Decimal) -> str:
    """The grade of a score: the first band (written high to low) whose inclusive lower bound it reaches."""
    for band in bands:
        if score >= Decimal(str(band["lower"])):
            return band["grade"]
    return bands[-1]["grade"]


# ---------------------------------------------------------------------------------------------------
# Rendering a department-year into contract rows (column name -> text as written)


RENDERED_KINDS = ("department_profile", "staffing", "budget_summary", "budget_lines", "three_public", "indicators",
                  "self_evaluation", "grade_bands")


def _render(dy: DeptYear, prior: DeptYear | None, profile: Spec, seed: int) -> dict[str, list[Row]]:
    renderers: dict[str, Callable[[], list[Row]]] = {
        "department_profile": lambda: _profile_rows(dy, profile, seed),
        "staffing": lambda: _staffing_rows(dy, profile),
        "budget_summary": lambda: _summary_rows(dy, profile),
        "budget_lines": lambda: _line_rows(dy, profile),
        "three_public": lambda: _public_rows(dy, prior, profile),
        "indicators": lambda: _indicator_rows(dy),
        "self_evaluation": lambda: _self_evaluation_rows(dy, profile),
        "grade_bands": lambda: _band_rows(profile),
    }
    common = {"department_code": dy.dept.code, "fiscal_year": str(dy.year)}
    return {kind: [{**common, **row} for row in renderers[kind]()] for kind in profile["kinds"]}


def _profile_rows(dy: DeptYear, profile: Spec, seed: int) -> list[Row]:
    return [{
        "department_name": dy.dept.name, "established_date": dy.dept.established,
        "internal_division_count": str(len(dy.dept.divisions)), "internal_divisions": "、".join(dy.dept.divisions),
        "retiree_count": str(dy.retirees), "is_synthetic": "true",
        "source_document": profile["departments"]["source_document"].format(seed=seed),
    }]


def _staffing_rows(dy: DeptYear, profile: Spec) -> list[Row]:
    rows = [{"headcount_kind": "authorized", "category": h.category, "headcount": str(h.count), "line_type": "item",
             "note": h.note} for h in dy.authorized]
    rows += [{"headcount_kind": "actual", "category": h.category, "headcount": str(h.count), "line_type": "item",
              "note": h.note} for h in dy.actual]
    rows.append({"headcount_kind": "actual", "category": profile["staffing"]["total_label"],
                 "headcount": str(sum(h.count for h in dy.actual)), "line_type": "total"})
    return [{"line_no": str(i), **row} for i, row in enumerate(rows, start=1)]


def _summary_rows(dy: DeptYear, profile: Spec) -> list[Row]:
    t = dy.totals()
    projects = [ln for ln in dy.lines if ln.expenditure_type == "project"]
    return [{
        "statement_no": "1", "scope": "all", "initial_budget": dy.amount(t.initial),
        "budget_adjustment": dy.amount(t.adjustment), "final_budget": dy.amount(t.final),
        "actual_spend": dy.amount(t.actual), "stated_execution_rate": dy.rate(t.actual, t.final),
        "project_count_initial": str(sum(1 for ln in projects if ln.initial > 0)),
        "project_count_final": str(len(projects)), "unit": UNIT,
        "source_section": profile["budget"]["summary_section"],
    }]


def _line_rows(dy: DeptYear, profile: Spec) -> list[Row]:
    cfg = profile["budget"]
    rows = []
    for i, ln in enumerate(dy.lines, start=1):
        rate = dy.rate(ln.actual, ln.final)
        low = ln.final > 0 and ln.actual / ln.final < Decimal(str(cfg["reason_below"]))
        reason = cfg["variance_reason"].format(name=ln.name, rate=rate, cause=ln.cause) if ln.cause and low else ""
        rows.append({
            "line_no": str(i), "project_name": ln.name, "expenditure_type": ln.expenditure_type,
            "economic_class": ln.economic_class, "initial_budget": dy.amount(ln.initial),
            "budget_adjustment": dy.amount(ln.adjustment), "final_budget": dy.amount(ln.final),
            "actual_spend": dy.amount(ln.actual), "stated_variance": dy.amount(ln.actual - ln.final),
            "stated_execution_rate": rate, "variance_reason": reason, "line_type": "item", "unit": UNIT,
        })
    t = dy.totals()
    rows.append({
        "line_no": str(len(dy.lines) + 1), "project_name": cfg["total_label"], "initial_budget": dy.amount(t.initial),
        "budget_adjustment": dy.amount(t.adjustment), "final_budget": dy.amount(t.final),
        "actual_spend": dy.amount(t.actual), "stated_variance": dy.amount(t.actual - t.final),
        "stated_execution_rate": dy.rate(t.actual, t.final), "line_type": "total", "unit": UNIT,
    })
    return rows


def _public_rows(dy: DeptYear, prior: DeptYear | None, profile: Spec) -> list[Row]:
    rows = []
    for i, item in enumerate(dy.public, start=1):
        row = {"line_no": str(i), "category": item.code, "category_name": item.name,
               "budget": dy.amount(item.budget), "actual": dy.amount(item.actual),
               "stated_usage_rate": dy.rate(item.actual, item.budget), "line_type": "item", "unit": UNIT}
        if item.from_zero:
            row |= {"prior_year_actual": dy.amount(Decimal(0)), "stated_yoy_change": dy.amount(item.actual),
                    "stated_yoy_change_rate": pct_text(Decimal(100), dy.style.rate_decimals)}
        rows.append(row)
    budget = sum((item.budget for item in dy.public), Decimal(0))
    actual = sum((item.actual for item in dy.public), Decimal(0))
    total = {"line_no": str(len(dy.public) + 1), "category": "total",
             "category_name": profile["three_public"]["total_label"], "budget": dy.amount(budget),
             "actual": dy.amount(actual), "stated_usage_rate": dy.rate(actual, budget),
             "stated_saving": dy.amount(budget - actual), "line_type": "total", "unit": UNIT}
    if prior is not None:
        before = sum((item.actual for item in prior.public), Decimal(0))
        if dy.style.states_prior_actual:
            total["prior_year_actual"] = dy.amount(before)
        if before > 0:
            total["stated_yoy_change"] = dy.amount(actual - before)
            total["stated_yoy_change_rate"] = dy.rate(actual - before, before)
    return [*rows, total]


def _indicator_rows(dy: DeptYear) -> list[Row]:
    return [{
        "source_table": "result", "indicator_no": str(i), "level1": ind.level1, "level2": ind.level2,
        "indicator_name": ind.name, "target_text": ind.target_text, "actual_text": ind.actual_text,
        "weight": fmt_number(ind.weight), "self_score": fmt_number(ind.score), "deviation_reason": ind.reason,
    } for i, ind in enumerate(dy.indicators, start=1)]


def _self_evaluation_rows(dy: DeptYear, profile: Spec) -> list[Row]:
    cfg = profile["self_evaluation"]
    t = dy.totals()
    rate = dy.rate(t.actual, t.final)
    rows = []
    for i, d in enumerate(dy.dimensions, start=1):
        said = f"“{d.name}”方面扣减{fmt_number(d.deduction)}分" if d.deduction else f"“{d.name}”方面不扣分"
        rows.append({"line_no": str(i), "dimension": d.name, "weight": fmt_number(d.weight),
                     "deduction": fmt_number(d.deduction), "self_score": fmt_number(d.score), "line_type": "item",
                     "comment": f"{d.comment.format(rate=rate)}，{said}，得{fmt_number(d.score)}分。"})
    total = sum((d.score for d in dy.dimensions), Decimal(0))
    rows.append({"line_no": str(len(rows) + 1), "dimension": cfg["total_label"],
                 "weight": fmt_number(sum((d.weight for d in dy.dimensions), Decimal(0))),
                 "self_score": fmt_number(total), "stated_grade": grade_for(profile["grade_bands"], total),
                 "line_type": "total", "comment": cfg["total_comment"]})
    return rows


def _band_rows(profile: Spec) -> list[Row]:
    return [{"band_no": str(i), "interval_text": b["interval"], "grade": b["grade"]}
            for i, b in enumerate(profile["grade_bands"], start=1)]


# ---------------------------------------------------------------------------------------------------
# Injections


@dataclass(frozen=True)
class Injection:
    """One injected inconsistency, located as a spreadsheet shows it (header = row 1)."""

    kind: str
    department_code: str
    fiscal_year: int
    file: str  # relative to the output folder
    row: int
    column: str  # contract column name
    stated_value: str  # what the file says
    correct_value: str  # what the cell said before the injection
    note: str


@dataclass(frozen=True)
class _Pending:
    kind: str
    key: Key
    file_kind: str
    row_index: int  # 0-based within the department-year's table
    column: str
    stated: str
    correct: str
    note: str


@dataclass
class _World:
    profile: Spec
    models: dict[Key, DeptYear]
    tables: dict[Key, dict[str, list[Row]]] = field(default_factory=dict)
    claims: set[tuple[Key, str]] = field(default_factory=set)

    @property
    def cfg(self) -> Spec:
        return self.profile["inconsistencies"]

    def claim(self, key: Key, *file_kinds: str) -> bool:
        """Reserve department-year files for one injection; False when any is taken."""
        wanted = {(key, k) for k in file_kinds}
        if wanted & self.claims:
            return False
        self.claims |= wanted
        return True

    def free(self, key: Key, file_kind: str) -> bool:
        return (key, file_kind) not in self.claims

    def prior(self, key: Key) -> DeptYear | None:
        return self.models.get((key[0], key[1] - 1))

    def rows(self, key: Key, kind: str) -> list[Row]:
        return self.tables[key][kind]


def _ordered_targets(rng: random.Random, targets: dict[str, float]) -> list[str]:
    """Target files in a weighted random order (without replacement)."""
    left = dict(targets)
    out = []
    while left:
        choice = weighted(rng, left)
        out.append(choice)
        del left[choice]
    return out


# --- model stage ---------------------------------------------------------------------------------------


def _growth_from_zero(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy, prior = world.models[key], world.prior(key)
    if prior is None or not (world.free(key, "three_public") and world.free(prior.key, "three_public")):
        return None
    world.claim(key, "three_public")
    world.claim(prior.key, "three_public")
    before, item = prior.public[0], dy.public[0]
    before.budget = before.actual = Decimal(0)
    if item.actual == 0:
        others = sum((i.budget for i in dy.public), Decimal(0))
        item.budget = max(Decimal(1), (others * Decimal(str(round(rng.uniform(0.15, 0.3), 4)))).quantize(Decimal(1)))
        item.actual = q2(item.budget * Decimal(str(round(uniform(rng, world.profile["three_public"]["usage"]), 4))))
    item.from_zero = True
    return _Pending("growth_from_zero", key, "three_public", 0, "stated_yoy_change_rate",
                    pct_text(Decimal(100), dy.style.rate_decimals), "",
                    f"{item.name}: prior-year ({prior.year}) actual is 0, so the change rate is undefined; "
                    f"stated as 100% (this year's actual {dy.amount(item.actual)} 万元)")


def _budget_adjusted_to_spending(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    under = [i for i, ln in enumerate(dy.lines) if ln.expenditure_type == "project" and ln.actual < ln.final]
    if not under or not world.claim(key, "budget_lines"):
        return None
    i = rng.choice(under)
    line = dy.lines[i]
    old_final, old_adjustment = line.final, line.adjustment
    line.adjustment = line.actual - line.initial
    line.cause = ""
    return _Pending("budget_adjusted_to_spending", key, "budget_lines", i, "final_budget", dy.amount(line.final),
                    dy.amount(old_final),
                    f"{line.name}: final budget cut from {dy.amount(old_final)} to the actual spend (adjustment "
                    f"{dy.amount(old_adjustment)} -> {dy.amount(line.adjustment)}), so the stated rate is 100%; "
                    "the 合计 row and budget_summary carry the cut consistently")


def _headcount_over_authorized(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    if not world.claim(key, "staffing"):
        return None
    authorized = sum(h.count for h in dy.authorized)
    before = sum(h.count for h in dy.actual)
    over = max(1, round(authorized * uniform(rng, world.cfg["over_authorized"])))
    seconded = next((h for h in dy.actual if h.category == "借调人员"), None)
    if seconded is None:
        seconded = Headcount("借调人员", 0, world.profile["staffing"]["notes"].get("借调人员", ""))
        dy.actual.append(seconded)
    seconded.count += authorized - before + over
    return _Pending("headcount_over_authorized", key, "staffing", dy.staffing_total_index, "headcount",
                    str(authorized + over), str(before),
                    f"actual headcount {authorized + over} exceeds the authorized {authorized} "
                    f"(借调人员 raised to {seconded.count}; items still add up to the total)")


def _three_public_over_budget(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    budgeted = [i for i, item in enumerate(dy.public) if item.budget > 0]
    if not budgeted or not world.claim(key, "three_public"):
        return None
    i = rng.choice(budgeted)
    item = dy.public[i]
    before = item.actual
    factor = Decimal(str(round(uniform(rng, world.cfg["over_budget"]), 4)))
    item.actual = max(q2(item.budget * factor), item.budget + CENT)
    return _Pending("three_public_over_budget", key, "three_public", i, "actual", dy.amount(item.actual),
                    dy.amount(before),
                    f"{item.name}: actual {dy.amount(item.actual)} exceeds the budget {dy.amount(item.budget)}; "
                    "usage rate, total row and next year's comparison follow the new actual")


# --- cell stage ----------------------------------------------------------------------------------------


def _rate_cells(world: _World, key: Key, target: str) -> list[tuple[int, str, Decimal, Decimal, Decimal | None]]:
    """(row index, rate column, numerator, denominator, initial budget) of the stated rates of a file."""
    dy = world.models[key]
    if target == "budget_lines":
        return [(i, "stated_execution_rate", ln.actual, ln.final, ln.initial)
                for i, ln in enumerate(dy.lines) if ln.final > 0]
    if target == "budget_summary":
        t = dy.totals()
        return [(0, "stated_execution_rate", t.actual, t.final, t.initial)]
    return [(i, "stated_usage_rate", item.actual, item.budget, None)
            for i, item in enumerate(dy.public) if item.budget > 0 and not item.from_zero]


def _wrong_rate(rng: random.Random, world: _World, num: Decimal, den: Decimal, initial: Decimal | None,
                decimals: int) -> tuple[str, str]:
    correct = fmt_rate(num, den, decimals)
    ways = ["shifted", "transposed"] + (["initial"] if initial else [])
    way = rng.choice(ways)
    if way == "initial":
        stated = fmt_rate(num, initial, decimals)
        if stated != correct:
            return stated, f"computed against the initial budget {fmt_amount(initial)} instead of the final budget"
    if way == "transposed":
        digits = correct.rstrip("%")
        swapped = digits[:-2] + digits[-1] + digits[-2] if len(digits) > 1 and "." not in digits[-2:] else digits
        if swapped != digits:
            return swapped + "%", "last two digits transposed"
    points = Decimal(str(round(uniform(rng, world.cfg["rate_shift_points"]), 2)))
    percent = num * 100 / den
    shifted = percent - points if percent - points > 0 and rng.random() < 0.6 else percent + points
    stated = pct_text(shifted, decimals)
    if stated == correct:
        stated = pct_text(percent + 1, decimals)
    return stated, f"off by about {fmt_number(points)} percentage points"


def _stated_rate_mismatch(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    for target in _ordered_targets(rng, world.cfg["kinds"]["stated_rate_mismatch"]["targets"]):
        cells = _rate_cells(world, key, target)
        if not cells or not world.claim(key, target):
            continue
        i, column, num, den, initial = rng.choice(cells)
        correct = fmt_rate(num, den, dy.style.rate_decimals)
        stated, how = _wrong_rate(rng, world, num, den, initial, dy.style.rate_decimals)
        row = world.rows(key, target)[i]
        row[column] = stated
        if row.get("variance_reason"):
            how += "; the row's variance reason keeps the correct rate"
        return _Pending("stated_rate_mismatch", key, target, i, column, stated, correct,
                        f"{fmt_amount(num)} / {fmt_amount(den)} = {correct}, stated {stated}: {how}")
    return None


def _slip(rng: random.Random, world: _World, value: Decimal) -> Decimal:
    """A nonzero clerical slip of a few per cent of a figure, up or down."""
    amount = max(CENT, q2(value * Decimal(str(round(uniform(rng, world.cfg["amount_slip"]), 5)))))
    return value - amount if rng.random() < 0.5 and value - amount > 0 else value + amount


def _total_not_sum(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    handlers = {"budget_lines": _lines_total_not_sum, "three_public": _public_total_not_sum,
                "staffing": _staffing_total_not_sum}
    for target in _ordered_targets(rng, world.cfg["kinds"]["total_not_sum"]["targets"]):
        pending = handlers[target](world, key, rng)
        if pending is not None:
            return pending
    return None


def _lines_total_not_sum(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    spent = [i for i, ln in enumerate(dy.lines) if ln.actual > 0]
    if not spent or not world.claim(key, "budget_lines", "budget_summary"):
        return None
    t = dy.totals()
    if rng.random() < 0.5:
        left_out = dy.lines[rng.choice(spent)]
        stated = t.actual - left_out.actual
        how = f"leaves out {left_out.name} ({dy.amount(left_out.actual)})"
    else:
        stated, how = _slip(rng, world, t.actual), "clerical slip"
    total_index = len(dy.lines)
    row = world.rows(key, "budget_lines")[total_index]
    row |= {"actual_spend": dy.amount(stated), "stated_variance": dy.amount(stated - t.final),
            "stated_execution_rate": dy.rate(stated, t.final)}
    world.rows(key, "budget_summary")[0] |= {"actual_spend": dy.amount(stated),
                                            "stated_execution_rate": dy.rate(stated, t.final)}
    return _Pending("total_not_sum", key, "budget_lines", total_index, "actual_spend", dy.amount(stated),
                    dy.amount(t.actual),
                    f"合计 actual {how}; the row's variance and rate and budget_summary repeat the stated total")


def _public_total_not_sum(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    budgeted = [item for item in dy.public if item.budget > 0]
    if not budgeted or not world.claim(key, "three_public"):
        return None
    budget = sum((item.budget for item in dy.public), Decimal(0))
    actual = sum((item.actual for item in dy.public), Decimal(0))
    if len(budgeted) > 1 and rng.random() < 0.5:
        left_out = rng.choice(budgeted)
        stated, how = budget - left_out.budget, f"leaves out {left_out.name} ({dy.amount(left_out.budget)})"
    else:
        stated, how = _slip(rng, world, budget), "clerical slip"
    total_index = len(dy.public)
    world.rows(key, "three_public")[total_index] |= {
        "budget": dy.amount(stated), "stated_usage_rate": dy.rate(actual, stated),
        "stated_saving": dy.amount(stated - actual)}
    return _Pending("total_not_sum", key, "three_public", total_index, "budget", dy.amount(stated),
                    dy.amount(budget), f"合计 budget {how}; the row's usage rate and saving follow the stated total")


def _staffing_total_not_sum(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    if len(dy.actual) < 2 or not world.claim(key, "staffing"):
        return None
    left_out = rng.choice(dy.actual)
    before = sum(h.count for h in dy.actual)
    stated = before - left_out.count
    world.rows(key, "staffing")[dy.staffing_total_index]["headcount"] = str(stated)
    return _Pending("total_not_sum", key, "staffing", dy.staffing_total_index, "headcount", str(stated), str(before),
                    f"total leaves out {left_out.category} ({left_out.count})")


def _stated_twice_differently(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    if not world.claim(key, "budget_summary"):
        return None
    t = dy.totals()
    column = rng.choice(["final_budget", "actual_spend"])
    correct = t.final if column == "final_budget" else t.actual
    stated = _slip(rng, world, correct)
    row = world.rows(key, "budget_summary")[0]
    row[column] = dy.amount(stated)
    if column == "final_budget":
        row |= {"budget_adjustment": dy.amount(stated - t.initial), "stated_execution_rate": dy.rate(t.actual, stated)}
    else:
        row["stated_execution_rate"] = dy.rate(stated, t.final)
    return _Pending("stated_twice_differently", key, "budget_summary", 0, column, dy.amount(stated),
                    dy.amount(correct),
                    f"budget_summary states {dy.amount(stated)}, the budget_lines 合计 row {dy.amount(correct)}; "
                    "the summary's own adjustment and rate follow its figure")


def _unit_error(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    spent = [i for i, ln in enumerate(dy.lines) if ln.expenditure_type == "project" and ln.actual > 0]
    if not spent or not world.claim(key, "budget_lines"):
        return None
    i = rng.choice(spent)
    column = rng.choice(["actual_spend", "final_budget"])
    value = dy.lines[i].actual if column == "actual_spend" else dy.lines[i].final
    stated = dy.amount(value * YUAN_PER_WAN)
    world.rows(key, "budget_lines")[i][column] = stated
    return _Pending("unit_error", key, "budget_lines", i, column, stated, dy.amount(value),
                    f"written in 元 in a 万元 row (x10000); the row's variance and rate and the 合计 row were "
                    f"computed from {dy.amount(value)} 万元")


def _weights_not_sum(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    for target in _ordered_targets(rng, world.cfg["kinds"]["weights_not_sum"]["targets"]):
        if not world.claim(key, target):
            continue
        if target == "indicators":
            i = rng.randrange(len(dy.indicators))
            ind = dy.indicators[i]
            delta = Decimal(rng.choice(world.cfg["indicator_weight_delta"]))
            level = sum((x.weight for x in dy.indicators if x.level1 == ind.level1), Decimal(0))
            before, note = ind.weight, f"{ind.level1} weights now sum to {fmt_number(level + delta)}, not {level}"
        else:
            i = rng.randrange(len(dy.dimensions))
            delta = Decimal(rng.choice(world.cfg["dimension_weight_delta"]))
            full = sum((d.weight for d in dy.dimensions), Decimal(0))
            before = dy.dimensions[i].weight
            note = (f"dimension weights now sum to {fmt_number(full + delta)}, the total row states {full}; "
                    "the row's weight minus deduction no longer equals its score")
        stated = fmt_number(before + delta)
        world.rows(key, target)[i]["weight"] = stated
        return _Pending("weights_not_sum", key, target, i, "weight", stated, fmt_number(before), note)
    return None


def _self_scores_not_sum(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    if not world.claim(key, "self_evaluation"):
        return None
    bands = world.profile["grade_bands"]
    total = sum((d.score for d in dy.dimensions), Decimal(0))
    deltas = [Decimal(d) for d in world.cfg["score_delta"]]
    rng.shuffle(deltas)
    possible = [total + d for d in deltas if 0 < total + d <= 100]
    same_band = [s for s in possible if grade_for(bands, s) == grade_for(bands, total)]
    stated = (same_band or possible)[0]
    row = world.rows(key, "self_evaluation")[len(dy.dimensions)]
    row |= {"self_score": fmt_number(stated), "stated_grade": grade_for(bands, stated)}
    return _Pending("self_scores_not_sum", key, "self_evaluation", len(dy.dimensions), "self_score",
                    fmt_number(stated), fmt_number(total),
                    f"dimension scores add up to {fmt_number(total)}; the stated grade is the band of the stated total")


def _grade_outside_band(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    if not world.claim(key, "self_evaluation"):
        return None
    bands = world.profile["grade_bands"]
    total = sum((d.score for d in dy.dimensions), Decimal(0))
    grades = [b["grade"] for b in bands]
    at = grades.index(grade_for(bands, total))
    stated = grades[at - 1] if at > 0 else grades[at + 1]  # one band up (inflated) where there is one
    world.rows(key, "self_evaluation")[len(dy.dimensions)]["stated_grade"] = stated
    return _Pending("grade_outside_band", key, "self_evaluation", len(dy.dimensions), "stated_grade", stated,
                    grades[at], f"stated total {fmt_number(total)} lies in the band of {grades[at]}")


def _actual_written_as_target(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    rows = [i for i, ind in enumerate(dy.indicators) if ind.op in ("≥", "≤") and ind.actual_text != ind.target_text]
    if not rows or not world.claim(key, "indicators"):
        return None
    i = rng.choice(rows)
    ind = dy.indicators[i]
    world.rows(key, "indicators")[i]["actual_text"] = ind.target_text
    return _Pending("actual_written_as_target", key, "indicators", i, "actual_text", ind.target_text,
                    ind.actual_text, f"{ind.name}: the actual repeats the target")


def _partial_year_actual(world: _World, key: Key, rng: random.Random) -> _Pending | None:
    dy = world.models[key]
    rows = [i for i, ind in enumerate(dy.indicators) if ind.op in ("≥", "") and ind.unit != "%" and ind.target]
    if not rows or not world.claim(key, "indicators"):
        return None
    i = rng.choice(rows)
    ind = dy.indicators[i]
    assert ind.target is not None
    progress = Decimal(str(round(uniform(rng, world.cfg["partial_progress"]), 4)))
    smallest = Decimal(1).scaleb(-ind.decimals)
    value = max(smallest, (ind.target * progress).quantize(smallest, ROUND_HALF_UP))
    period = rng.choice(world.cfg["partial_periods"])
    stated = f"{period}完成{fmt_number(value)}{ind.unit}（进度{fmt_rate(value, ind.target, 2)}）"
    world.rows(key, "indicators")[i]["actual_text"] = stated
    return _Pending("partial_year_actual", key, "indicators", i, "actual_text", stated, ind.actual_text,
                    f"{ind.name}: the actual covers {period} only; the full-year actual was {ind.actual_text}")


Injector = Callable[[_World, Key, random.Random], _Pending | None]

MODEL_INJECTORS: dict[str, Injector] = {
    "growth_from_zero": _growth_from_zero,
    "budget_adjusted_to_spending": _budget_adjusted_to_spending,
    "headcount_over_authorized": _headcount_over_authorized,
    "three_public_over_budget": _three_public_over_budget,
}
CELL_INJECTORS: dict[str, Injector] = {
    "stated_rate_mismatch": _stated_rate_mismatch,
    "total_not_sum": _total_not_sum,
    "stated_twice_differently": _stated_twice_differently,
    "unit_error": _unit_error,
    "weights_not_sum": _weights_not_sum,
    "self_scores_not_sum": _self_scores_not_sum,
    "grade_outside_band": _grade_outside_band,
    "actual_written_as_target": _actual_written_as_target,
    "partial_year_actual": _partial_year_actual,
}
INJECTION_KINDS = (*MODEL_INJECTORS, *CELL_INJECTORS)


def _eligible(kind: str, dy: DeptYear, world: _World) -> bool:
    """Whether a department-year can carry the kind at all (before other injections take its files)."""
    if kind == "growth_from_zero":
        return world.prior(dy.key) is not None
    if kind == "budget_adjusted_to_spending":
        return any(ln.expenditure_type == "project" and ln.actual < ln.final for ln in dy.lines)
    if kind == "three_public_over_budget":
        return any(item.budget > 0 for item in dy.public)
    if kind == "actual_written_as_target":
        return any(ind.op in ("≥", "≤") for ind in dy.indicators)
    if kind == "partial_year_actual":
        return any(ind.op in ("≥", "") and ind.unit != "%" for ind in dy.indicators)
    return True


def kind_rates(profile: Spec, rate: float) -> dict[str, float]:
    """Each kind's share of its eligible department-years: the rate scaled by the kind's relative share."""
    kinds = profile["inconsistencies"]["kinds"]
    unknown = set(kinds) ^ set(INJECTION_KINDS)
    if unknown:
        raise ValueError(f"demo profile: unknown or missing injection kinds: {', '.join(sorted(unknown))}")
    mean = sum(float(k["share"]) for k in kinds.values()) / len(kinds)
    return {kind: min(1.0, rate * float(kinds[kind]["share"]) / mean) for kind in INJECTION_KINDS}


def _round_half_up(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), ROUND_HALF_UP))


def _inject(world: _World, injectors: dict[str, Injector], rates: dict[str, float], rng: random.Random,
            eligible: dict[str, int]) -> list[_Pending]:
    out = []
    for kind, injector in injectors.items():
        candidates = sorted(k for k, dy in world.models.items() if _eligible(kind, dy, world))
        eligible[kind] = len(candidates)
        wanted = _round_half_up(rates[kind] * len(candidates))
        rng.shuffle(candidates)
        done = 0
        for key in candidates:
            if done == wanted:
                break
            pending = injector(world, key, rng)
            if pending is not None:
                out.append(pending)
                done += 1
    return out


# ---------------------------------------------------------------------------------------------------
# Writing


@dataclass(frozen=True)
class GenerationReport:
    out_dir: Path
    layout: str
    seed: int
    departments: int
    years: tuple[int, ...]
    inconsistency_rate: float
    files: tuple[str, ...]  # data files written, relative to out_dir
    injections: tuple[Injection, ...]
    eligible: dict[str, int]  # department-years that could carry each kind
    planned_rates: dict[str, float]  # each kind's configured share of its eligible department-years

    @property
    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(INJECTION_KINDS, 0)
        for injection in self.injections:
            out[injection.kind] += 1
        return out

    def summary(self) -> str:
        lines = [f"{len(self.files)} files for {self.departments} departments x {len(self.years)} years "
                 f"({self.layout}) in {self.out_dir}; {len(self.injections)} injections "
                 f"recorded in {MANIFEST_NAME}:"]
        lines += [f"  {kind}: {n} of {self.eligible.get(kind, 0)} eligible department-years"
                  for kind, n in self.counts.items()]
        return "\n".join(lines)


def _csv_bytes(rows: Iterable[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _clear_previous(out_dir: Path, code_prefix: str) -> None:
    """Remove what an earlier run wrote (and only that), so that a smaller run leaves no stale files."""
    (out_dir / MANIFEST_NAME).unlink(missing_ok=True)
    if not out_dir.is_dir():
        return
    for year_dir in sorted(out_dir.iterdir()):
        if not (year_dir.is_dir() and year_dir.name.isdigit() and len(year_dir.name) == 4):
            continue
        for child in sorted(year_dir.iterdir()):
            if child.is_dir() and (child.name.startswith(code_prefix) or child.name == CONSOLIDATED_FOLDER):
                shutil.rmtree(child)


def _write_tables(out_dir: Path, layout: str, world: _World, kinds: list[str]) -> tuple[list[str], dict]:
    """Write every table; return the files and where each department-year table starts (file, row)."""
    contract = load_contract()
    grouped: dict[str, list[tuple[Key, list[Row]]]] = {}
    for key in sorted(world.tables, key=lambda k: (k[1], k[0])):
        code, year = key
        for kind in kinds:
            folder = code if layout == "per-department" else CONSOLIDATED_FOLDER
            grouped.setdefault(f"{year}/{folder}/{kind}.csv", []).append((key, world.tables[key][kind]))
    starts: dict[tuple[Key, str], tuple[str, int]] = {}
    for rel, parts in sorted(grouped.items()):
        kind = Path(rel).stem
        # The demo writes version-1 files: they show that every version-1 file loads unchanged.
        columns = [c for c in contract.kinds[kind].columns if c.since <= DEMO_CONTRACT_VERSION]
        table = [[c.header_zh for c in columns]]
        for key, rows in parts:
            starts[(key, kind)] = (rel, len(table) + 1)
            table += [[row.get(c.name, "") for c in columns] for row in rows]
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(_csv_bytes(table))
    return sorted(grouped), starts


def _locate(pending: list[_Pending], starts: dict[tuple[Key, str], tuple[str, int]]) -> list[Injection]:
    out = []
    for p in pending:
        rel, first_row = starts[(p.key, p.file_kind)]
        out.append(Injection(p.kind, p.key[0], p.key[1], rel, first_row + p.row_index, p.column, p.stated,
                             p.correct, p.note))
    return sorted(out, key=lambda i: (i.file, i.row, i.column, i.kind))


def _write_manifest(out_dir: Path, injections: list[Injection]) -> None:
    rows = [list(MANIFEST_COLUMNS)]
    rows += [[i.kind, i.department_code, str(i.fiscal_year), i.file, str(i.row), i.column, i.stated_value,
              i.correct_value, i.note] for i in injections]
    (out_dir / MANIFEST_NAME).write_bytes(_csv_bytes(rows))


def load_profile(path: Path = PROFILE_PATH) -> Spec:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def generate(out_dir: Path, departments: int, years: list[int], seed: int, layout: str = "per-department",
             inconsistency_rate: float | None = None, profile_path: Path = PROFILE_PATH) -> GenerationReport:
    """Write demo data for `departments` departments over `years` into out_dir; same arguments, same bytes."""
    profile = load_profile(profile_path)
    rate = float(profile["defaults"]["inconsistency_rate"] if inconsistency_rate is None else inconsistency_rate)
    years = sorted(set(years))
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    if departments < 1 or not years or not 0 <= rate <= 1:
        raise ValueError("need at least one department and one year, and an inconsistency rate within 0..1")
    if sorted(profile["kinds"]) != sorted(RENDERED_KINDS) or not set(RENDERED_KINDS) <= set(load_contract().kinds):
        raise ValueError(f"demo profile: `kinds` must list exactly {', '.join(RENDERED_KINDS)} (in any order)")
    rates = kind_rates(profile, rate)

    models: dict[Key, DeptYear] = {}
    for dept in _departments(profile, departments, seed):
        models.update({dy.key: dy for dy in _department_years(dept, years, profile, seed)})
    world = _World(profile, models)
    rng = random.Random(f"{seed}/injections")
    eligible: dict[str, int] = {}
    pending = _inject(world, MODEL_INJECTORS, rates, rng, eligible)
    world.tables = {key: _render(dy, world.prior(key), profile, seed) for key, dy in sorted(models.items())}
    pending += _inject(world, CELL_INJECTORS, rates, rng, eligible)

    out_dir.mkdir(parents=True, exist_ok=True)
    _clear_previous(out_dir, profile["departments"]["code_format"].split("{")[0])
    files, starts = _write_tables(out_dir, layout, world, profile["kinds"])
    injections = _locate(pending, starts)
    _write_manifest(out_dir, injections)
    return GenerationReport(out_dir, layout, seed, departments, tuple(years), rate, tuple(files), tuple(injections),
                            eligible, rates)


def tree_digest(directory: Path) -> str:
    """sha256 over the sorted relative paths and contents of every file under the folder."""
    digest = hashlib.sha256()
    files = sorted((p.relative_to(directory).as_posix(), p) for p in directory.rglob("*") if p.is_file())
    for rel, path in files:
        digest.update(rel.encode("utf-8") + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def read_injections(out_dir: Path) -> list[dict[str, str]]:
    """The injection manifest of an output folder, one dict per injection."""
    with (out_dir / MANIFEST_NAME).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# ---------------------------------------------------------------------------------------------------
# Command line


def parse_years(text: str) -> list[int]:
    """2015-2020, 2015,2017 or 2017."""
    years: set[int] = set()
    for part in text.split(","):
        low, _, high = part.strip().partition("-")
        years.update(range(int(low), int(high or low) + 1))
    return sorted(years)


def main(argv: list[str] | None = None) -> int:
    defaults = load_profile()["defaults"]
    parser = argparse.ArgumentParser(prog="python -m tools.demo_data",
                                     description="Write deterministic synthetic demo data in the raw data contract.")
    parser.add_argument("--out", type=Path, required=True, help="output folder (year folders are written into it)")
    parser.add_argument("--departments", type=int, default=int(defaults["departments"]))
    parser.add_argument("--years", default=str(defaults["years"]), help="e.g. 2015-2020 or 2016,2018")
    parser.add_argument("--seed", type=int, default=int(defaults["seed"]))
    parser.add_argument("--layout", choices=LAYOUTS, default=defaults["layout"])
    parser.add_argument("--inconsistency-rate", type=float, default=float(defaults["inconsistency_rate"]))
    parser.add_argument("--profile", type=Path, default=PROFILE_PATH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    report = generate(args.out, args.departments, parse_years(args.years), args.seed, args.layout,
                      args.inconsistency_rate, args.profile)
    print(report.summary())
    print(f"tree digest {tree_digest(args.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
