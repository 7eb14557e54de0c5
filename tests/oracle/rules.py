"""The scoring rules: each turns a figure (or indicators, or a judgment) into points, capped at the
item's weight, with an explanation. A figure or target that cannot be scored gives a finding and no
points, never an exception."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from orchestration.scoring.rule_sets import QualitativeBand, Rating

POINTS = Decimal("0.0001")
ZERO = Decimal(0)


def points(value: Decimal) -> Decimal:
    return value.quantize(POINTS, rounding=ROUND_HALF_UP)


def fmt(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class Outcome:
    score: Decimal | None
    explanation: str
    finding: str | None = None
    rating: str | None = None


def _unscorable(reason: str) -> Outcome:
    return Outcome(None, f"not scored: {reason}", finding=reason)


def cap(weight: Decimal, raw: Decimal) -> Decimal:
    return points(min(weight, max(ZERO, raw)))


def execution_rate(weight: Decimal, figure: str, value: Decimal | None) -> Outcome:
    if value is None:
        return _unscorable(f"figure {figure} is missing")
    score = cap(weight, weight * value)
    return Outcome(score, f"{figure} {fmt(value)} × weight {fmt(weight)} = {fmt(weight * value)}"
                          f"{' capped at the weight' if weight * value > weight else ''} → {fmt(score)}")


def proportional_higher(weight: Decimal, figure: str, value: Decimal | None, target: Decimal | None) -> Outcome:
    if target is None or target == 0:
        return _unscorable(f"target of {figure} is {'missing' if target is None else 'zero'}")
    if value is None:
        return _unscorable(f"figure {figure} is missing")
    raw = weight * value / target
    score = cap(weight, raw)
    return Outcome(score, f"higher is better: weight {fmt(weight)} × {figure} {fmt(value)} / target {fmt(target)}"
                          f"{' (capped at the weight)' if raw > weight else ''} → {fmt(score)}")


def proportional_lower(weight: Decimal, figure: str, value: Decimal | None, target: Decimal | None) -> Outcome:
    if target is None or target <= 0:
        return _unscorable(f"target of {figure} is {'missing' if target is None else 'not positive'}")
    if value is None:
        return _unscorable(f"figure {figure} is missing")
    if value <= 0:
        return Outcome(points(weight), f"lower is better: {figure} {fmt(value)} is at or below zero → full weight")
    raw = weight * target / value
    score = cap(weight, raw)
    return Outcome(score, f"lower is better: weight {fmt(weight)} × target {fmt(target)} / {figure} {fmt(value)}"
                          f"{' (capped at the weight)' if raw > weight else ''} → {fmt(score)}")


def deduction_over_standard(weight: Decimal, figure: str, value: Decimal | None, standard: Decimal,
                            points_per_point: Decimal) -> Outcome:
    if value is None:
        return _unscorable(f"figure {figure} is missing")
    over = max(ZERO, (value - standard) * 100)
    score = cap(weight, weight - over * points_per_point)
    if over == 0:
        return Outcome(score, f"{figure} {fmt(value)} within the standard {fmt(standard)} → full weight {fmt(score)}")
    return Outcome(score, f"{figure} {fmt(value)} is {fmt(over)} percentage points over the standard "
                          f"{fmt(standard)}; {fmt(points_per_point)} per point off {fmt(weight)} → {fmt(score)}")


def qualitative_level(bands: tuple[QualitativeBand, ...], value: Decimal) -> QualitativeBand:
    for band in bands:  # highest min_value first
        if value >= band.min_value:
            return band
    return bands[-1]


def qualitative_bands(weight: Decimal, figure: str, value: Decimal | None,
                      bands: tuple[QualitativeBand, ...]) -> Outcome:
    if value is None:
        return _unscorable(f"figure {figure} is missing")
    band = qualitative_level(bands, value)
    score = points(weight * band.computed_share)
    low, high = band.share_range
    return Outcome(score, f"{figure} {fmt(value)} → {band.level} (band {fmt(low * 100)}-{fmt(high * 100)}% of the "
                          f"weight; computed at {fmt(band.computed_share * 100)}%) → {fmt(score)}")


def band_for_assessment(bands: tuple[QualitativeBand, ...], level: str) -> QualitativeBand | None:
    return next((b for b in bands if b.level == level), None)


def judgment_from_reviewer(weight: Decimal, score: Decimal, reviewer: str | None, note: str | None) -> Outcome:
    if score < 0:
        return _unscorable(f"reviewer score {fmt(score)} is negative")
    capped = cap(weight, score)
    who = f" ({reviewer})" if reviewer else ""
    return Outcome(capped, f"reviewer's score{who} {fmt(score)}{' capped at the weight' if score > weight else ''}"
                           f"{': ' + note if note else ''} → {fmt(capped)}")


def judgment_from_self(weight: Decimal, dimension: str, self_score: Decimal, self_weight: Decimal) -> Outcome:
    if self_weight <= 0:
        return _unscorable(f"self-evaluation dimension {dimension} has no weight")
    score = cap(weight, weight * self_score / self_weight)
    return Outcome(score, f"no reviewer score: the department's self-evaluation of {dimension} "
                          f"({fmt(self_score)}/{fmt(self_weight)}) × weight {fmt(weight)} → {fmt(score)}")


@dataclass(frozen=True)
class YearValue:
    year: int
    value: Decimal | None


def pefa_rating(weight: Decimal, figure: str, history: list[YearValue], measure: str, ratings: tuple[Rating, ...],
                window_years: int, min_years: int) -> Outcome:
    """PEFA-style rating over the window ending in the scored year: the tightest rating met in at least
    `min_years` of the window's years; the last rating when none is."""
    known = [h for h in history if h.value is not None]
    first, last = history[0].year, history[-1].year
    if len(known) < min_years:
        reason = (f"{figure} known for {len(known)} of the {window_years} years {first}-{last}; "
                  f"a rating needs {min_years}")
        return Outcome(None, f"not rated (NR): {reason}", finding=reason, rating="NR")

    def measured(v: Decimal) -> Decimal:
        return abs(v - 1) if measure == "deviation_from_one" else v

    def passes(r: Rating, v: Decimal) -> bool:
        return r.max is None or measured(v) < r.max or (r.max_closed and measured(v) == r.max)

    values = ", ".join(f"{h.year}: {fmt(h.value)}" for h in known)
    for r in ratings:
        meeting = [h.year for h in known if passes(r, h.value)]
        if len(meeting) >= min_years or r.max is None:
            score = points(weight * r.share)
            limit = (f"{'|x − 1|' if measure == 'deviation_from_one' else 'x'} {'≤' if r.max_closed else '<'} "
                     f"{fmt(r.max)}" if r.max is not None else "no tighter rating met")
            return Outcome(score, f"{figure} over {first}-{last} ({values}); rating {r.rating}: {limit} in "
                                  f"{len(meeting)} year(s) → {fmt(r.share * 100)}% of {fmt(weight)} = {fmt(score)}",
                           rating=r.rating)
    raise AssertionError("the last rating takes everything")
