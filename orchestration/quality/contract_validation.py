"""Running the contract suites (expectations/) with Great Expectations 1.x on the rows of a kind's
files, and naming every violation by file, row and column."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

import pandas as pd

from orchestration.quality.contract_suites import load_suite, units

INDEX_COLUMNS = ["_source_file", "_source_row"]
ROWS_REPORTED_PER_CHECK = 20
FULL_WIDTH = str.maketrans("０１２３４５６７８９．，－−", "0123456789.,--")


@dataclass(frozen=True)
class Violation:
    source_file: str
    kind: str
    source_row: int | None
    column: str | None
    check_name: str
    value: str | None
    reason: str


def parse_number(text: object) -> float | None:
    """A number as departments write it (the rules of the dbt macro parse_amount): separators,
    full-width digits, a lone dash for zero. Only for range checks; the warehouse keeps decimals."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    cleaned = str(text).translate(FULL_WIDTH).replace(",", "").replace(" ", "").strip()
    if cleaned and set(cleaned) <= set("-—–"):
        return 0.0
    try:
        return float(Decimal(cleaned))
    except (InvalidOperation, ValueError):
        return None


def add_helper_columns(frame: pd.DataFrame, suite: dict) -> pd.DataFrame:
    """The numeric columns the suite's range expectations read."""
    frame = frame.copy()
    factors = {unit: float(f) if f else None for unit, f in units().items()}
    for expectation in suite["expectations"]:
        column = expectation["kwargs"].get("column", "")
        if column.endswith("__wan") and column not in frame:
            source = column.removesuffix("__wan")
            factor = frame["unit"].map(lambda u: factors.get(str(u).strip()) if u is not None else None)
            frame[column] = [
                (value * f) if value is not None and f is not None else None
                for value, f in zip(frame[source].map(parse_number), factor, strict=True)
            ]
            frame[column] = pd.to_numeric(frame[column])
        elif column.endswith("__number") and column not in frame:
            frame[column] = pd.to_numeric(frame[column.removesuffix("__number")].map(parse_number))
    return frame


@cache
def _context():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        source = context.data_sources.add_pandas("raw_files")
    return gx, context, source


def validate_kind(kind: str, frame: pd.DataFrame, fiscal_year: int) -> list[Violation]:
    """Validate every row of one kind (all its files of the year) against expectations/<kind>.json,
    plus the year folder's fiscal year."""
    if frame.empty:
        return []
    suite_doc = load_suite(kind)
    expectations = [*suite_doc["expectations"], {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "fiscal_year", "value_set": [str(fiscal_year)]},
        "meta": {"column": "fiscal_year", "header_zh": "年度",
                 "reason": f"is not {fiscal_year}, the year folder the file sits in"},
    }]
    frame = add_helper_columns(frame, suite_doc).astype(
        {c: "object" for c in frame.columns if c not in INDEX_COLUMNS})
    gx, context, source = _context()
    name = f"{kind}_{fiscal_year}_{id(frame)}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        suite = context.suites.add(gx.ExpectationSuite(name=name, expectations=expectations))
        batch = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe(name)
        definition = context.validation_definitions.add(gx.ValidationDefinition(name=name, data=batch, suite=suite))
        try:
            result = definition.run(batch_parameters={"dataframe": frame}, result_format={
                "result_format": "COMPLETE", "unexpected_index_column_names": INDEX_COLUMNS})
        finally:
            context.validation_definitions.delete(name)
            context.suites.delete(name)
            source.delete_asset(name)
    violations: list[Violation] = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        meta = config.meta or {}
        column = meta.get("column")
        label = f"{column} ({meta.get('header_zh')})" if column else ""
        check = config.type
        rows = outcome.result.get("unexpected_index_list") or []
        if outcome.exception_info and outcome.exception_info.get("raised_exception"):
            message = outcome.exception_info.get("exception_message", "")
            files = frame["_source_file"].unique().tolist()
            violations += [Violation(f, kind, None, column, check, None, f"{label} could not be checked: {message}")
                           for f in files]
            continue
        per_file: dict[str, int] = {}
        raw_column = (column or "").split(",")[0]
        for row in rows:
            file = row["_source_file"]
            per_file[file] = per_file.get(file, 0) + 1
            if per_file[file] > ROWS_REPORTED_PER_CHECK:
                continue
            value = row.get(raw_column) if raw_column in row else None
            if value is None and raw_column in frame.columns:
                match = frame[(frame["_source_file"] == file) & (frame["_source_row"] == row["_source_row"])]
                value = match[raw_column].iloc[0] if len(match) else None
            shown = None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            violations.append(Violation(file, kind, int(row["_source_row"]), column, check, shown,
                                        f"{label} {shown!r} {meta.get('reason', 'breaks the contract')}"))
        for file, count in per_file.items():
            if count > ROWS_REPORTED_PER_CHECK:
                violations.append(Violation(file, kind, None, column, check, None,
                                            f"{label}: {count - ROWS_REPORTED_PER_CHECK} more rows like these"))
    return violations
