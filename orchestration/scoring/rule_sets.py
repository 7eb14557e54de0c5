"""Reading and validating the rule sets in rule_sets/*.yml.

A rule set names what it scores (`applies_to`: department-years or project forms), its source
document, its dimensions with weights, its items (which figure, which rule, which weight), how
judgment items are scored, how a total with unscored items is graded, and its grade bands with
explicit open or closed ends. Anything inconsistent is refused with a RuleSetError naming the file
and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from orchestration.contract import PROJECT_ROOT
from orchestration.yaml_files import read_yaml

RULE_SETS_DIR = PROJECT_ROOT / "rule_sets"
MARTS_YAML = PROJECT_ROOT / "dbt_project" / "models" / "marts" / "_marts.yml"
# What a rule set may score, and the mart whose documented figure columns its items may read.
FIGURES_MART = {"department": "department_indicators", "project": "project_forms"}
APPLIES_TO = tuple(FIGURES_MART)
# How a total with unscored items is graded: not at all (its grade is NULL), or as if they scored zero.
UNSCORED_POLICIES = ("no_grade", "grade_as_zero")


class RuleSetError(ValueError):
    """A rule set that cannot be used; the message starts with file:line."""


class _Node(dict):
    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """The line of `key` in this mapping, else the mapping's own line."""
        return getattr(self, "key_lines", {}).get(key, self.line)


class _LineLoader(yaml.SafeLoader):
    """YAML loader that remembers the line of every mapping (1-based)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Node:
    mapping = _Node(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass(frozen=True)
class Param:
    kind: str  # number | text | bool | bands | ratings | levels | figure
    required: bool = True


# Every rule, the parameters it takes, and whether it reads a figure.
RULES: dict[str, tuple[bool, dict[str, Param]]] = {
    "execution_rate": (True, {"stated_figure": Param("figure", required=False)}),
    "proportional_higher": (True, {"target": Param("number")}),
    "proportional_lower": (True, {"target": Param("number")}),
    "deduction_over_standard": (True, {"standard": Param("number"), "points_per_point": Param("number")}),
    "qualitative_bands": (True, {"bands": Param("bands")}),
    "judgment": (False, {"self_dimension": Param("text", required=False)}),
    "indicator_completion": (False, {
        "level1": Param("levels"),
        "include_unclassified": Param("bool", required=False),
        "qualitative_bands": Param("bands"),
        "self_dimension": Param("text", required=False),
        "scale_to_weight": Param("bool", required=False),
    }),
    "pefa_rating": (True, {
        "measure": Param("text"),
        "ratings": Param("ratings"),
        "window_years": Param("number"),
        "min_years": Param("number"),
    }),
}
MEASURES = ("deviation_from_one", "value")
JUDGMENT_SOURCES = ("reviewer", "self")


@dataclass(frozen=True)
class Interval:
    lower: Decimal
    lower_closed: bool
    upper: Decimal
    upper_closed: bool

    def contains(self, value: Decimal) -> bool:
        above = value > self.lower or (self.lower_closed and value == self.lower)
        below = value < self.upper or (self.upper_closed and value == self.upper)
        return above and below

    def __str__(self) -> str:
        return f"{'[' if self.lower_closed else '('}{self.lower}, {self.upper}{']' if self.upper_closed else ')'}"


@dataclass(frozen=True)
class GradeBand:
    grade: str
    interval: Interval
    line: int = 0


@dataclass(frozen=True)
class QualitativeBand:
    level: str  # achieved | partly | not
    min_value: Decimal  # for a figure: the band applies from this value up
    share_range: tuple[Decimal, Decimal]  # the band of the weight, for documentation and reviewers
    computed_share: Decimal  # the share of the weight a computed score takes


@dataclass(frozen=True)
class Rating:
    rating: str
    max: Decimal | None  # None: the fallback rating
    max_closed: bool
    share: Decimal


@dataclass(frozen=True)
class Item:
    name: str
    dimension: str
    rule: str
    weight: Decimal
    figure: str | None
    params: dict[str, Any]
    line: int


@dataclass(frozen=True)
class Dimension:
    name: str
    weight: Decimal
    items: tuple[Item, ...]


@dataclass(frozen=True)
class RuleSet:
    name: str
    title: str
    source_document: str
    total: Decimal
    judgment_sources: tuple[str, ...]
    dimensions: tuple[Dimension, ...]
    grade_bands: tuple[GradeBand, ...]
    path: Path
    notes: str = ""
    items: tuple[Item, ...] = field(default=())
    applies_to: str = "department"
    unscored_items: str = "no_grade"

    def grade(self, score: Decimal | None, unscored: int = 0) -> str | None:
        if score is None or (unscored and self.unscored_items == "no_grade"):
            return None
        for band in self.grade_bands:
            if band.interval.contains(score):
                return band.grade
        return None


INTERVAL = re.compile(r"^\s*([\[(])\s*(-?[0-9.]+)\s*,\s*(-?[0-9.]+)\s*([\])])\s*$")


class _Reader:
    def __init__(self, path: Path, figures: dict[str, set[str]]):
        self.path = path
        self.figures_of = figures
        self.figures: set[str] = set()

    def fail(self, line: int, message: str) -> RuleSetError:
        return RuleSetError(f"{self._display()}:{line}: {message}")

    def _display(self) -> str:
        try:
            return str(self.path.relative_to(PROJECT_ROOT))
        except ValueError:
            return str(self.path)

    def need(self, node: _Node, key: str, what: str) -> Any:
        if not isinstance(node, dict) or key not in node or node[key] in (None, ""):
            raise self.fail(getattr(node, "line", 1), f"{what}: '{key}' is missing")
        return node[key]

    def number(self, node: _Node, key: str, what: str) -> Decimal:
        value = self.need(node, key, what)
        try:
            if isinstance(value, bool):
                raise InvalidOperation
            return Decimal(str(value))
        except InvalidOperation:
            raise self.fail(node.line_of(key), f"{what}: '{key}' must be a number, not {value!r}") from None

    def interval(self, node: _Node, key: str, what: str) -> Interval:
        text = str(self.need(node, key, what))
        match = INTERVAL.match(text)
        if not match:
            raise self.fail(node.line_of(key), f"{what}: interval {text!r} must look like [80, 90) - a square bracket "
                                       "closes the end, a round one opens it")
        lower, upper = Decimal(match[2]), Decimal(match[3])
        if lower > upper:
            raise self.fail(node.line_of(key),
                            f"{what}: interval {text!r} is written upper end first; write [lower, upper]")
        return Interval(lower, match[1] == "[", upper, match[4] == "]")

    def read(self) -> RuleSet:
        try:
            doc = yaml.load(self.path.read_text(encoding="utf-8"), Loader=_LineLoader)  # noqa: S506 - SafeLoader
        except yaml.YAMLError as exc:
            line = exc.problem_mark.line + 1 if getattr(exc, "problem_mark", None) else 1
            raise self.fail(line, f"not valid YAML: {getattr(exc, 'problem', exc)}") from None
        if not isinstance(doc, dict):
            raise self.fail(1, "a rule set is a mapping with name, title, dimensions, grade_bands")
        name = str(self.need(doc, "name", "rule set"))
        if name != self.path.stem:
            raise self.fail(doc.line, f"name '{name}' must equal the file name '{self.path.stem}'")
        applies_to = str(self.need(doc, "applies_to", "rule set"))
        if applies_to not in APPLIES_TO:
            raise self.fail(doc.line_of("applies_to"), f"applies_to must be one of {', '.join(APPLIES_TO)}, "
                                                       f"not {applies_to!r}")
        self.figures = self.figures_of[applies_to]
        unscored = str(doc.get("unscored_items") or "no_grade")
        if unscored not in UNSCORED_POLICIES:
            raise self.fail(doc.line_of("unscored_items"),
                            f"unscored_items must be one of {', '.join(UNSCORED_POLICIES)}, not {unscored!r}")
        total = self.number(doc, "total", "rule set")
        judgment = doc.get("judgment") or _Node(sources=list(JUDGMENT_SOURCES))
        sources = tuple(judgment.get("sources") or ())
        if not sources or any(s not in JUDGMENT_SOURCES for s in sources):
            raise self.fail(getattr(judgment, "line", doc.line),
                            f"judgment.sources must list some of {', '.join(JUDGMENT_SOURCES)}")
        dimensions = tuple(self.dimension(d) for d in self.need(doc, "dimensions", "rule set"))
        weight_sum = sum((d.weight for d in dimensions), Decimal(0))
        if weight_sum != total:
            raise self.fail(doc.line_of("total"), f"dimension weights sum to {weight_sum}, not to the total {total}")
        bands = tuple(self.grade_band(b) for b in self.need(doc, "grade_bands", "rule set"))
        self.check_bands_cover(bands, total, doc.line_of("grade_bands"))
        return RuleSet(
            name=name, title=str(self.need(doc, "title", "rule set")),
            source_document=str(self.need(doc, "source_document", "rule set")), total=total,
            judgment_sources=sources, dimensions=dimensions, grade_bands=bands, path=self.path,
            notes=str(doc.get("notes") or ""), items=tuple(i for d in dimensions for i in d.items),
            applies_to=applies_to, unscored_items=unscored,
        )

    def dimension(self, node: _Node) -> Dimension:
        name = str(self.need(node, "name", "dimension"))
        weight = self.number(node, "weight", f"dimension '{name}'")
        items = tuple(self.item(i, name) for i in self.need(node, "items", f"dimension '{name}'"))
        item_sum = sum((i.weight for i in items), Decimal(0))
        if item_sum != weight:
            raise self.fail(node.line_of("weight"), f"dimension '{name}': item weights sum to {item_sum}, "
                                       f"not to its weight {weight}")
        return Dimension(name, weight, items)

    def item(self, node: _Node, dimension: str) -> Item:
        name = str(self.need(node, "name", f"an item of dimension '{dimension}'"))
        what = f"item '{name}'"
        rule = str(self.need(node, "rule", what))
        if rule not in RULES:
            raise self.fail(node.line_of("rule"), f"{what}: unknown rule '{rule}' (known: {', '.join(sorted(RULES))})")
        reads_figure, params = RULES[rule]
        figure = node.get("figure")
        if reads_figure:
            figure = str(self.need(node, "figure", what))
            if figure not in self.figures:
                known = ", ".join(sorted(self.figures))
                raise self.fail(node.line_of("figure"), f"{what}: unknown figure '{figure}' (known: {known})")
        elif figure is not None:
            raise self.fail(node.line_of("figure"), f"{what}: rule '{rule}' reads no figure; remove 'figure'")
        weight = self.number(node, "weight", what)
        if weight <= 0:
            raise self.fail(node.line, f"{what}: weight must be positive")
        known = {"name", "rule", "figure", "weight", "notes", *params}
        extra = sorted(set(node) - known)
        if extra:
            raise self.fail(node.line, f"{what}: unknown key(s) {', '.join(extra)} for rule '{rule}'")
        values: dict[str, Any] = {}
        for key, param in params.items():
            if key not in node:
                if param.required:
                    raise self.fail(node.line, f"{what}: rule '{rule}' needs '{key}'")
                continue
            values[key] = self.param(node, key, param, what)
        if rule == "pefa_rating" and values["measure"] not in MEASURES:
            raise self.fail(node.line, f"{what}: measure must be one of {', '.join(MEASURES)}")
        return Item(name, dimension, rule, weight, figure, values, node.line)

    def param(self, node: _Node, key: str, param: Param, what: str) -> Any:
        if param.kind == "number":
            return self.number(node, key, what)
        if param.kind == "text":
            return str(self.need(node, key, what))
        if param.kind == "figure":
            figure = str(self.need(node, key, what))
            if figure not in self.figures:
                raise self.fail(node.line_of(key), f"{what}: unknown figure '{figure}' (known: "
                                                   f"{', '.join(sorted(self.figures))})")
            return figure
        if param.kind == "bool":
            if not isinstance(node[key], bool):
                raise self.fail(node.line, f"{what}: '{key}' must be true or false")
            return node[key]
        if param.kind == "levels":
            levels = node[key]
            if not isinstance(levels, list) or not levels:
                raise self.fail(node.line, f"{what}: '{key}' must be a list of level-1 headings")
            return tuple(str(v) for v in levels)
        if param.kind == "bands":
            return self.qualitative_bands(node[key], node.line, what)
        if param.kind == "ratings":
            return self.ratings(node[key], node.line, what)
        raise AssertionError(param.kind)

    def qualitative_bands(self, bands: Any, line: int, what: str) -> tuple[QualitativeBand, ...]:
        if not isinstance(bands, list) or not bands:
            raise self.fail(line, f"{what}: bands must be a list")
        out = []
        for band in bands:
            level = str(self.need(band, "level", what))
            share = self.interval(band, "share", f"{what} band '{level}'")
            computed = self.number(band, "computed_share", f"{what} band '{level}'")
            if not share.contains(computed):
                raise self.fail(band.line, f"{what} band '{level}': computed_share {computed} lies outside {share}")
            minimum = self.number(band, "min_value", f"{what} band '{level}'") if "min_value" in band else Decimal(0)
            out.append(QualitativeBand(level, minimum, (share.lower, share.upper), computed))
        levels = [b.level for b in out]
        if sorted(levels) != sorted({"achieved", "partly", "not"}):
            raise self.fail(line, f"{what}: bands must be exactly achieved, partly and not (got {', '.join(levels)})")
        return tuple(sorted(out, key=lambda b: b.min_value, reverse=True))

    def ratings(self, ratings: Any, line: int, what: str) -> tuple[Rating, ...]:
        if not isinstance(ratings, list) or len(ratings) < 2:
            raise self.fail(line, f"{what}: ratings must list at least two ratings")
        out = []
        for i, node in enumerate(ratings):
            rating = str(self.need(node, "rating", what))
            share = self.number(node, "share", f"{what} rating {rating}")
            if "max" in node:
                out.append(Rating(rating, self.number(node, "max", f"{what} rating {rating}"),
                                  bool(node.get("max_closed", True)), share))
            elif i == len(ratings) - 1:
                out.append(Rating(rating, None, True, share))
            else:
                raise self.fail(node.line, f"{what} rating {rating}: only the last rating may omit 'max'")
        if out[-1].max is not None:
            raise self.fail(line, f"{what}: the last rating must omit 'max' (it takes everything else)")
        maxima = [r.max for r in out[:-1]]
        if maxima != sorted(maxima):
            raise self.fail(line, f"{what}: ratings must be listed from the tightest 'max' to the loosest")
        return tuple(out)

    def grade_band(self, node: _Node) -> GradeBand:
        grade = str(self.need(node, "grade", "grade band"))
        return GradeBand(grade, self.interval(node, "interval", f"grade band '{grade}'"), node.line)

    def check_bands_cover(self, bands: tuple[GradeBand, ...], total: Decimal, line: int) -> None:
        ordered = sorted(bands, key=lambda b: b.interval.lower)
        if ordered[0].interval.lower != 0 or not ordered[0].interval.lower_closed:
            raise self.fail(ordered[0].line or line, "grade bands must start at [0")
        if ordered[-1].interval.upper != total or not ordered[-1].interval.upper_closed:
            raise self.fail(ordered[-1].line or line, f"grade bands must end at {total}]")
        for low, high in zip(ordered, ordered[1:], strict=False):
            a, b = low.interval, high.interval
            if a.upper != b.lower or a.upper_closed == b.lower_closed:
                raise self.fail(high.line or line,
                                f"grade bands '{low.grade}' {a} and '{high.grade}' {b} must meet with exactly one "
                                "of them closed at the shared end (no gap, no overlap)")


def known_figures(marts_yaml: Path = MARTS_YAML, applies_to: str = "department") -> set[str]:
    """The figures a rule set that scores `applies_to` may name: the documented columns of its
    figures mart (marts.department_indicators, marts.project_forms) marked as figures."""
    return all_known_figures(marts_yaml)[applies_to]


def all_known_figures(marts_yaml: Path = MARTS_YAML) -> dict[str, set[str]]:
    doc = read_yaml(marts_yaml)
    models = {m["name"]: m for m in doc["models"]}
    out = {}
    for applies_to, mart in FIGURES_MART.items():
        if mart not in models:
            raise RuleSetError(f"{marts_yaml}: no model {mart}")
        out[applies_to] = {c["name"] for c in models[mart]["columns"]
                           if c.get("config", {}).get("meta", {}).get("figure")}
    return out


def load_rule_set(path: Path, figures: dict[str, set[str]] | None = None) -> RuleSet:
    return _Reader(path, figures if figures is not None else all_known_figures()).read()


def load_rule_sets(folder: Path = RULE_SETS_DIR) -> list[RuleSet]:
    figures = all_known_figures()
    rule_sets = [load_rule_set(p, figures) for p in sorted(folder.glob("*.yml"))]
    if not rule_sets:
        raise RuleSetError(f"{folder}: no rule sets (*.yml)")
    return rule_sets
