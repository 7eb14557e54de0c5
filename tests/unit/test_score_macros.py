"""The exact-decimal and text macros of the score models (dbt_project/macros/scores.sql), rendered as dbt
renders them for DuckDB and evaluated on values where rounding and quoting are easy to get wrong: they
must print numbers as the rules' explanations do (Decimal.normalize() in fixed notation), divide
exactly with half-up rounding to 4 places, and quote text as Python's repr()."""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal
from types import SimpleNamespace

import duckdb
import pytest
from oracle.rules import fmt

from orchestration.contract import PROJECT_ROOT
from orchestration.dbt_sql import macro_module

MACROS_FILE = PROJECT_ROOT / "dbt_project" / "macros" / "scores.sql"


def _macros():
    dbt = SimpleNamespace(concat=lambda parts: "(" + " || ".join(parts) + ")", type_string=lambda: "varchar")
    return macro_module({}, files=(MACROS_FILE.name,), context={"dbt": dbt})


MACROS = _macros()


def evaluate(expression: str, rows: list[tuple], types: str) -> list[object]:
    con = duckdb.connect()
    con.execute(f"create table t (i integer, {types})")
    con.executemany(f"insert into t values ({', '.join('?' * (len(rows[0]) + 1))})",
                    [(i, *row) for i, row in enumerate(rows)])
    return [r[0] for r in con.execute(f"select {expression} from t order by i").fetchall()]


@pytest.mark.parametrize("text", ["8.0000", "100", "0.0000", "0.05", "-1.50", "12.3400", "1000.5", "0.0001",
                                  "-0.0100", "20"])
def test_fmt_prints_a_decimal_as_the_explanations_do(text):
    assert evaluate(str(MACROS.fmt("v")), [(text,)], "v decimal(18,4)") == [fmt(Decimal(text))]


def test_fmt_of_null_is_a_dash():
    assert evaluate(str(MACROS.fmt("v")), [(None,)], "v decimal(18,4)") == [fmt(None)]


def _half_up(num: Decimal, den: Decimal) -> Decimal:
    quotient = abs(num) / abs(den)  # exact enough: 28 digits, far beyond the ties below
    rounded = quotient.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return rounded if (num < 0) == (den < 0) or num == 0 else -rounded


def test_div_half_up_rounds_the_exact_quotient_half_away_from_zero():
    pairs = [("1", "8"), ("1", "20000"), ("-1", "20000"), ("3", "20000"), ("2", "3"), ("0", "5"), ("7", "-2"),
             ("12.34565", "1"), ("-12.34565", "1"), ("12.34564999", "1"), ("100", "0.0003"), ("5.1", "0.8")]
    rng = random.Random(7)
    pairs += [(str(Decimal(rng.randint(-10**9, 10**9)) / 10**6), str(Decimal(rng.randint(1, 10**7)) / 10**4))
              for _ in range(300)]
    got = evaluate(str(MACROS.div_half_up("n", "d")), [(n, d) for n, d in pairs], "n decimal(28,10), d decimal(28,10)")
    assert got == [_half_up(Decimal(n), Decimal(d)) for n, d in pairs]


def test_div_half_up_by_zero_is_null():
    assert evaluate(str(MACROS.div_half_up("n", "d")), [("1", "0")], "n decimal(18,4), d decimal(18,4)") == [None]


@pytest.mark.parametrize("text", ["abc", "it's", 'say "hi"', "both ' and \"", "back\\slash", "line\nbreak\ttab",
                                  "≥266米", "", None])
def test_pyrepr_quotes_as_python_repr(text):
    assert evaluate(str(MACROS.pyrepr("v")), [(text,)], "v varchar") == [repr(text)]
