"""The parsing macros (dbt_project/macros/parsing.sql) evaluated in DuckDB on figures as departments
write them, and normalize_text's ASCII shortcut held to a plain translate."""

from __future__ import annotations

from decimal import Decimal as D

import duckdb
import pytest

from orchestration.dbt_sql import parsing_macros

MACROS = parsing_macros()  # the macros rendered as the contract checks render them (orchestration/dbt_sql.py)
FULL_WIDTH_FROM = "０１２３４５６７８９．，％（）－＋　：／−［］【】＞＜＝≧≦～"
FULL_WIDTH_TO = "0123456789.,%()-+ :/-[][]><=≥≤~"
TEXTS = [
    None, "", " ", "1,234.50", "１２３４．５", "－12.5", "—", "–", "- -", "--", " 12 ", "12\u3000", "\u300012",
    "1\t000", "1e5", "+5", "12.5.1", "abc", "1000000000000", "-5", "1 000", "１，２３４", "0x10", "12%", "８０．０２％",
    "80.02%", "（１）", "【注】", "\r\n", "é", "🦆1", "1\u0301", "1:2/3", "［5］",
]


def evaluate(expression: str, texts: list[str | None]) -> list[object]:
    con = duckdb.connect()
    con.execute("create table t (i integer, v varchar)")
    con.executemany("insert into t values (?, ?)", list(enumerate(texts)))
    return [r[0] for r in con.execute(f"select {expression} from t order by i").fetchall()]


def test_normalize_text_equals_translate_on_every_text() -> None:
    fast = evaluate(MACROS.normalize_text("v"), TEXTS)
    plain = evaluate(f"translate(v, '{FULL_WIDTH_FROM}', '{FULL_WIDTH_TO}')", TEXTS)
    assert fast == plain
    assert fast[TEXTS.index("１２３４．５")] == "1234.5"  # the slow branch is taken where it must be


@pytest.mark.parametrize(("text", "amount"), [
    ("1,234.50", D("1234.50")), ("１２３４．５", D("1234.5")), ("－12.5", D("-12.5")), ("—", D(0)), ("- -", None),
    ("--", D(0)), (" 12 ", D(12)), ("12\u3000", D(12)), ("１，２３４", D(1234)), ("abc", None),
    ("", None), (None, None), ("12.5.1", None), ("1,863,500.5", D("1863500.5")), ("+5", D(5)),
    # The contract's number grammar: standard thousands grouping only, never a guess.
    ("1 000", None), ("135,5", None), ("1 863,5", None), ("1,3,5", None), ("13,50", None), ("1,2345", None),
])
def test_parse_amount(text: str | None, amount: D | None) -> None:
    assert evaluate(MACROS.parse_amount("v"), [text]) == [amount]


@pytest.mark.parametrize(("text", "rate"), [
    ("80.02%", D("0.8002")), ("８０．０２％", D("0.8002")), ("0.95", D("0.95")), ("１２％", D("0.12")), ("x%", None),
])
def test_parse_rate(text: str, rate: D | None) -> None:
    assert evaluate(MACROS.parse_rate("v"), [text]) == [rate]


def test_stated_decimals_counts_full_width_digits() -> None:
    texts = ["80.02%", "８０．０２％", "76.9%", "1", None]
    assert evaluate(MACROS.stated_decimals("v"), texts) == [2, 2, 1, 0, None]


def test_the_contract_checks_read_numbers_with_the_staging_macro() -> None:
    """One number parser: the contract screen and the suites' range checks (orchestration/dbt_sql.py) evaluate
    the very parse_amount macro staging uses, so a figure the contract accepts is the figure the marts hold."""
    import pandas as pd

    from orchestration.quality.contract_validation import _sql_number, parse_numbers

    staged = [None if v is None else float(v) for v in evaluate(MACROS.parse_amount("v"), TEXTS)]
    checked = [None if pd.isna(v) else v for v in parse_numbers(pd.Series(TEXTS, dtype=object))]
    screened = evaluate(_sql_number("v"), TEXTS)
    assert checked == staged and screened == staged


PLAIN_TEXTS = [
    *TEXTS, "12", "-0", "0012", "-12.50", "1.1234567", "0.0000005", "12345678901234567890", "999999999999999999",
    "12.", ".5", "-", "+12.5", "1.5%", "-80.02%", "80.02 %", "%", "12.5", "2147483648", "-2147483649", "１２",
    "1,234", "1.5%%", "12%x", "0.95",
]


def general_path_macros():
    """The parsing macros under the same number grammar written so that the plain-number shortcut is not
    compiled: what every figure went through before the shortcut."""
    from orchestration.dbt_sql import DBT_PROJECT, macro_module
    from orchestration.yaml_files import read_yaml

    variables = read_yaml(DBT_PROJECT / "dbt_project.yml")["vars"]
    grammar = variables["number_grammar"]
    reordered = grammar.replace("(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)", "(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)")
    assert reordered != grammar
    return macro_module({**variables, "number_grammar": reordered})


@pytest.mark.parametrize("macro", ["parse_amount", "parse_number", "parse_rate", "parse_integer"])
def test_the_plain_number_shortcut_gives_what_the_general_path_gives(macro: str) -> None:
    shortcut = str(getattr(MACROS, macro)("v"))
    general = str(getattr(general_path_macros(), macro)("v"))
    assert "'-?[0-9]+(?:[.][0-9]+)?'" in shortcut and "'-?[0-9]+(?:[.][0-9]+)?'" not in general
    assert outcomes(shortcut, PLAIN_TEXTS) == outcomes(general, PLAIN_TEXTS)


def outcomes(expression: str, texts: list[str | None]) -> list[object]:
    """Each text's value, or the error it raises (a rate of 10^8 or more does not fit DECIMAL(18,10))."""
    con = duckdb.connect()
    out: list[object] = []
    for text in texts:
        try:
            out.append(con.execute(f"select {expression} from (select ?::varchar as v)", [text]).fetchone()[0])
        except duckdb.Error as exc:
            out.append(type(exc).__name__)
    return out
