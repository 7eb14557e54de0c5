"""The Great Expectations suites of the raw files, one per file kind, generated from the contract.

expectations/<kind>.json is written by `python -m tools.contract_render` from
contract/raw_contract.yaml and dbt_project/seeds/units.csv; tests/integration/test_contract.py fails when a
suite and the contract disagree. Numeric range expectations read helper columns the validator adds
(`<column>__wan`: an amount converted to 万元; `<column>__number`: a count or number), because the raw
columns are text as written.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from orchestration.contract import PROJECT_ROOT, Column, Contract, FileKind, load_contract

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
UNITS_CSV = PROJECT_ROOT / "dbt_project" / "seeds" / "units.csv"



def as_written(grammar: str) -> str:
    """The contract's number grammar (ASCII) as a pattern over text as written: full-width digits,
    separators and signs too."""
    return (grammar.replace("[0-9]", "[0-9０-９]").replace("[.]", "[.．]").replace("[-+]", "[-+−－＋]")
            .replace("(?:,", "(?:[,，]"))


def _patterns(grammar: str) -> tuple[str, str, str]:
    """What the amount, number and integer types accept, as written: the number grammar, a lone dash
    for a zero amount, and for an integer the grammar's digits without sign or decimals."""
    digits = grammar.removeprefix("[-+]?").removesuffix("(?:[.][0-9]+)?")
    assert digits != grammar, "number_grammar: an optional sign, digits, optional decimals"
    number = as_written(grammar)
    return (rf"^\s*(?:{number}|[-—–－\s]*[-—–－][-—–－\s]*)\s*$", rf"^\s*{number}\s*$",
            rf"^\s*{as_written(digits)}\s*$")


# What each contract type accepts, as written (full-width digits and punctuation included).
AMOUNT_PATTERN, NUMBER_PATTERN, INTEGER_PATTERN = _patterns(load_contract().number_grammar)
RATE_PATTERN = r"^\s*[-−－]?\s*[0-9０-９]+(?:[.．][0-9０-９]+)?\s*[%％]?\s*$"
DATE_PATTERN = r"^\s*\d{4}-\d{2}-\d{2}\s*$"
BOOLEAN_VALUES = ["true", "false", "TRUE", "FALSE", "True", "False", "1", "0", "是", "否", "y", "n", "yes", "no"]


def units() -> dict[str, str | None]:
    """Unit as written → its factor to 万元 (None for units that are not yuan)."""
    with UNITS_CSV.open(encoding="utf-8", newline="") as fh:
        return {row["unit"]: (row["to_wan_factor"] or None) for row in csv.DictReader(fh)}


def _expectation(kind: str, meta: dict, **kwargs) -> dict:
    return {"type": kind, "kwargs": kwargs, "meta": meta}


def _column_expectations(contract: Contract, column: Column) -> list[dict]:
    meta = {"column": column.name, "header_zh": column.header_zh}
    out = []
    if column.required:
        out.append(_expectation("expect_column_values_to_not_be_null", {**meta, "reason": "is required but empty"},
                                column=column.name))
    if column.type == "amount":
        out.append(_expectation("expect_column_values_to_match_regex",
                                {**meta, "reason": "is not an amount (digits, separators, or a dash for zero)"},
                                column=column.name, regex=AMOUNT_PATTERN))
        limit = contract.amount_max_wan
        out.append(_expectation(
            "expect_column_values_to_be_between",
            {**meta, "reason": f"is {'beyond ±' if column.signed else 'negative or above '}{limit:g} 万元"
                               f"{'' if column.signed else ' (amounts are never negative here)'}"},
            column=f"{column.name}__wan", min_value=-limit if column.signed else 0, max_value=limit))
    elif column.type in ("integer", "number"):
        pattern = INTEGER_PATTERN if column.type == "integer" else NUMBER_PATTERN
        low, high = column.range or (contract.integer_range if column.type == "integer" else contract.number_range)
        what = "a whole number" if column.type == "integer" else "a number"
        out.append(_expectation("expect_column_values_to_match_regex", {**meta, "reason": f"is not {what}"},
                                column=column.name, regex=pattern))
        out.append(_expectation("expect_column_values_to_be_between",
                                {**meta, "reason": f"is outside [{low:g}, {high:g}]"},
                                column=f"{column.name}__number", min_value=low, max_value=high))
    elif column.type == "rate":
        out.append(_expectation("expect_column_values_to_match_regex",
                                {**meta, "reason": "is not a rate (80.02% or 0.8002)"},
                                column=column.name, regex=RATE_PATTERN))
    elif column.type == "date":
        out.append(_expectation("expect_column_values_to_match_regex", {**meta, "reason": "is not a date YYYY-MM-DD"},
                                column=column.name, regex=DATE_PATTERN))
    elif column.type == "boolean":
        out.append(_expectation("expect_column_values_to_be_in_set", {**meta, "reason": "is not true/false (是/否)"},
                                column=column.name, value_set=BOOLEAN_VALUES))
    elif column.type == "code":
        allowed = sorted({*column.values, *column.labels})
        out.append(_expectation("expect_column_values_to_be_in_set",
                                {**meta, "reason": f"is not one of {', '.join(column.values)}"},
                                column=column.name, value_set=allowed))
    elif column.type == "unit":
        out.append(_expectation("expect_column_values_to_be_in_set",
                                {**meta, "reason": "is not a unit of dbt_project/seeds/units.csv"},
                                column=column.name, value_set=sorted(units())))
    return out


def build_suite(contract: Contract, kind: FileKind) -> dict:
    expectations = []
    for column in kind.columns:
        expectations += _column_expectations(contract, column)
    key_meta = {"column": ",".join(kind.key), "header_zh": "、".join(
        c.header_zh for c in kind.columns if c.name in kind.key), "reason": "repeats the key of another row"}
    if len(kind.key) > 1:
        expectations.append(_expectation("expect_compound_columns_to_be_unique", key_meta, column_list=list(kind.key)))
    else:
        expectations.append(_expectation("expect_column_values_to_be_unique", key_meta, column=kind.key[0]))
    return {
        "name": f"raw_{kind.name}",
        "meta": {"generated_from": "contract/raw_contract.yaml", "contract_version": contract.version,
                 "kind": kind.name, "label_zh": kind.label_zh},
        "expectations": expectations,
    }


def render_suites(contract: Contract) -> dict[Path, str]:
    return {
        EXPECTATIONS_DIR / f"{kind.name}.json":
            json.dumps(build_suite(contract, kind), ensure_ascii=False, indent=2) + "\n"
        for kind in contract.kinds.values()
    }


def load_suite(kind: str) -> dict:
    return json.loads((EXPECTATIONS_DIR / f"{kind}.json").read_text(encoding="utf-8"))
