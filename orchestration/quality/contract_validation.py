"""Running the contract suites (expectations/) with Great Expectations 1.x on the rows of a kind's
files, and naming every violation by file, row and column."""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import cache

import duckdb
import pandas as pd

from orchestration.contract import load_contract
from orchestration.dbt_sql import parse_amount_sql
from orchestration.quality.contract_suites import load_suite, units
from orchestration.sql import sql_name, sql_text

INDEX_COLUMNS = ["_source_file", "_source_row"]
ROWS_REPORTED_PER_CHECK = 20
NUMBER_GRAMMAR = re.compile(load_contract().number_grammar)


@dataclass(frozen=True)
class Violation:
    source_file: str
    kind: str
    source_row: int | None
    column: str | None
    check_name: str
    value: str | None
    reason: str


def parse_numbers(values: pd.Series) -> pd.Series:
    """Numbers as departments write them, read by dbt's parse_amount macro (orchestration/dbt_sql.py): the
    contract's number grammar, full-width digits, a cell of dashes for zero; NULL for what is no number.
    As doubles: only range checks read them; the warehouse keeps decimals."""
    return _parse_columns(pd.DataFrame({"v": values}))["v"]


def _parse_columns(cells: pd.DataFrame) -> pd.DataFrame:
    """parse_numbers of every column of `cells`, in one query (a query per column cost the bundled data's
    validation about 5 s)."""
    names = {column: f"c{i}" for i, column in enumerate(cells.columns)}
    texts = pd.DataFrame({names[c]: cells[c].astype(object).where(cells[c].notna(), None).astype("string")
                          for c in cells.columns})
    con = duckdb.connect()
    try:
        con.register("cells", texts)
        parsed = con.execute("select " + ", ".join(
            f"cast({parse_amount_sql(name)} as double) as {name}" for name in names.values()) + " from cells").fetchdf()
    finally:
        con.close()
    return pd.DataFrame({c: parsed[name].to_numpy() for c, name in names.items()}, index=cells.index)


def add_helper_columns(frame: pd.DataFrame, suite: dict) -> pd.DataFrame:
    """The numeric columns the suite's range expectations read."""
    frame = frame.copy()
    helpers = {}  # helper column -> the column it reads
    for expectation in suite["expectations"]:
        column = expectation["kwargs"].get("column", "")
        if column.endswith(("__wan", "__number")) and column not in frame:
            helpers[column] = column.rsplit("__", 1)[0]
    if not helpers:
        return frame
    parsed = _parse_columns(frame[sorted(set(helpers.values()))])
    factors = {unit: float(f) if f else None for unit, f in units().items()}
    for column, source in helpers.items():
        if column.endswith("__wan"):
            factor = frame["unit"].map(lambda u: factors.get(str(u).strip()) if u is not None else None)
            frame[column] = parsed[source] * pd.to_numeric(factor)
        else:
            frame[column] = parsed[source]
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
        # Rows are reported up to a limit per file and department, and the rest summarised with their first
        # row: the load quarantines by that row's department in a file that holds many.
        per_slice: dict[tuple[str, object], int] = {}
        first_omitted: dict[tuple[str, object], int] = {}
        raw_column = (column or "").split(",")[0]
        department_of = departments_by_row(frame) if rows else {}
        for row in rows:
            file = row["_source_file"]
            key = (file, department_of.get((file, int(row["_source_row"]))))
            per_slice[key] = per_slice.get(key, 0) + 1
            if per_slice[key] > ROWS_REPORTED_PER_CHECK:
                first_omitted.setdefault(key, int(row["_source_row"]))
                continue
            value = row.get(raw_column) if raw_column in row else None
            if value is None and raw_column in frame.columns:
                match = frame[(frame["_source_file"] == file) & (frame["_source_row"] == row["_source_row"])]
                value = match[raw_column].iloc[0] if len(match) else None
            shown = None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
            reason = meta.get("reason", "breaks the contract")
            if check in KEY_CHECKS:
                reason = _repeated_key_reason(frame, config.kwargs, file, int(row["_source_row"]))
            violations.append(Violation(file, kind, int(row["_source_row"]), column, check, shown,
                                        f"{label} {shown!r} {reason}"))
        for (file, department), count in per_slice.items():
            if count > ROWS_REPORTED_PER_CHECK:
                first = first_omitted[(file, department)]
                violations.append(Violation(file, kind, first, column, check, None,
                                            f"{label}: {count - ROWS_REPORTED_PER_CHECK} more rows like these, "
                                            f"from row {first}"))
    return violations


KEY_CHECKS = ("expect_compound_columns_to_be_unique", "expect_column_values_to_be_unique")


def _repeated_key_reason(frame: pd.DataFrame, kwargs: dict, file: str, row: int) -> str:
    """Where else the row's key is stated: in the same file (the same row twice, or two rows numbered
    alike), or in another file (the same department-year sent twice)."""
    keys = kwargs.get("column_list") or [kwargs["column"]]
    this = frame[(frame["_source_file"] == file) & (frame["_source_row"] == row)]
    if this.empty:
        return "repeats the key of another row"
    same = (frame[keys] == this[keys].iloc[0]).all(axis=1) & ~(
        (frame["_source_file"] == file) & (frame["_source_row"] == row))
    others = frame[same].sort_values(["_source_file", "_source_row"])
    elsewhere = others[others["_source_file"] != file]
    if not elsewhere.empty:
        first = elsewhere.iloc[0]
        return (f"repeats the key of {first['_source_file']} row {int(first['_source_row'])}: the same rows sent "
                "in two files?")
    if not others.empty:
        return f"repeats the key of row {int(others.iloc[0]['_source_row'])} of the same file"
    return "repeats the key of another row"


def departments_by_row(frame: pd.DataFrame) -> dict[tuple[str, int], str | None]:
    """The department code of each (file, row) of a staged frame; None where the row gives none."""
    if "department_code" not in frame.columns:
        return {}
    codes = frame["department_code"].astype(object).where(frame["department_code"].notna(), None)
    return dict(zip(zip(frame["_source_file"], frame["_source_row"].astype(int), strict=True), codes, strict=True))


def _sql_number(column: str) -> str:
    """parse_numbers in SQL: dbt's parse_amount macro, as a double (only range checks read it)."""
    return f"cast({parse_amount_sql(column)} as double)"


def _failing_row(expectation: dict, table: str, present: set[str]) -> str | None:
    """A predicate true on the rows of `table` that break the expectation (None: nothing to screen)."""
    kwargs, kind = expectation["kwargs"], expectation["type"]
    column = kwargs.get("column", "")
    source = column.removesuffix("__wan").removesuffix("__number")
    if column and source not in present:
        return "true"  # a missing column: let GX report it
    col = sql_name(source)
    if kind == "expect_column_values_to_not_be_null":
        return f"{col} is null"
    if kind == "expect_column_values_to_match_regex":
        return f"{col} is not null and not regexp_matches({col}, {sql_text(kwargs['regex'])})"
    if kind == "expect_column_values_to_be_in_set":
        values = ", ".join(sql_text(v) for v in kwargs["value_set"])
        return f"{col} is not null and {col} not in ({values})"
    if kind == "expect_column_values_to_be_between":
        value = _sql_number(col)
        if column.endswith("__wan"):
            if "unit" not in present:
                return "true"
            value = f"({value} * (select factor from screen_units where screen_units.unit = trim({table}.unit)))"
        return f"{value} not between {kwargs['min_value']} and {kwargs['max_value']}"
    if kind == "expect_compound_columns_to_be_unique":
        keys = ", ".join(sql_name(c) for c in kwargs["column_list"])
        return f"count(*) over (partition by {keys}) > 1"
    if kind == "expect_column_values_to_be_unique":
        return f"{col} is not null and count(*) over (partition by {col}) > 1"
    return "true"  # an expectation type the screen does not know: GX decides


def screened_slices(con, kind: str, table: str, fiscal_year: int) -> set[tuple[str, str | None]]:
    """The (file, department) slices of the staged table that may break expectations/<kind>.json (or the
    year folder).

    The suite's expectations, compiled to one DuckDB pass over every row. It is a screen, never the
    verdict: the rows of a slice it flags are validated by Great Expectations (validate_kind), which
    names the rows; a slice it clears has no row GX would flag (tests/unit/test_contract_validation.py holds
    the two to that). A uniqueness expectation flags every row of a duplicate key, so all of them reach
    GX. Where the two engines differ (RE2's ASCII `\\s` against Python's Unicode one) the screen is the
    stricter, so the cost of a difference is a GX run, not a missed violation.
    """
    present = {r[0] for r in con.execute(f"describe {table}").fetchall()}
    expectations = [*load_suite(kind)["expectations"], {
        "type": "expect_column_values_to_be_in_set",
        "kwargs": {"column": "fiscal_year", "value_set": [str(fiscal_year)]}}]
    con.execute("create or replace temp table screen_units (unit varchar, factor double)")
    con.executemany("insert into screen_units values (?, ?)",
                    [[u, float(f)] for u, f in units().items() if f])
    predicates = [p for e in expectations if (p := _failing_row(e, table, present)) is not None]
    windowed = [p for p in predicates if " over (" in p]
    plain = [p for p in predicates if " over (" not in p]
    flags = ", ".join(f"coalesce({p}, false) as f{i}" for i, p in enumerate([*plain, *windowed]))
    rows = con.execute(f"""
        select distinct _source_file, department_code from (select _source_file, department_code, {flags} from {table})
        where {' or '.join(f'f{i}' for i in range(len(predicates)))}""").fetchall()
    return {(r[0], r[1]) for r in rows}


def screened_files(con, kind: str, table: str, fiscal_year: int) -> set[str]:
    """The files holding a slice the screen flags."""
    return {f for f, _ in screened_slices(con, kind, table, fiscal_year)}
