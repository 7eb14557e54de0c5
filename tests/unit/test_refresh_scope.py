"""The department as the unit of change (orchestration/refresh_scope.py): which departments of a fiscal year a
load changed, recorded by load_year in raw._pending_departments, and the scope of a dbt build
(raw._refresh_scope) made of them, then cleared after the build."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from corpus import as_department, seed_rows, write_csv

from orchestration.contract import load_contract
from orchestration.raw_files import RawFileReader
from orchestration.raw_load import YearLoadResult, load_year
from orchestration.refresh_scope import (
    PENDING_TABLE,
    SCOPE_TABLE,
    WHOLE_YEAR_SHARE,
    changed_kinds,
    ensure_scope_tables,
    finish_build,
    reset_scope,
    write_scope,
)

CONTRACT = load_contract()
DEPARTMENTS = ("D-001", "D-002", "D-003", "D-004")
PENDING_SQL = f"select fiscal_year, department_code, whole_year from {PENDING_TABLE} order by all nulls first"


def department_rows(code: str) -> list[list[str]]:
    """The seed's budget lines as department `code`'s, without the header."""
    return as_department(seed_rows("budget_lines"), code)[1:]


def consolidated(rows_by_department: dict[str, list[list[str]]]) -> list[list[str]]:
    """A finance bureau's export: every department's rows in one file, department after department."""
    return [seed_rows("budget_lines")[0]] + [r for code in sorted(rows_by_department)
                                              for r in rows_by_department[code]]


def with_amount(rows: list[list[str]], line: int, value: str) -> list[list[str]]:
    """The rows with the final budget of their `line`-th data row set to `value`."""
    column = seed_rows("budget_lines")[0].index("最终预算")
    out = [list(r) for r in rows]
    assert out[line][column] != value
    out[line][column] = value
    return out


class Year:
    """One fiscal year's raw folder holding one consolidated budget_lines.csv, and its working database."""

    def __init__(self, tmp_path: Path, year: int = 2017):
        self.tmp_path, self.year = tmp_path, year
        self.db = tmp_path / "w.duckdb"
        self.rows = {code: department_rows(code) for code in DEPARTMENTS}

    def write(self, table: list[list[str]] | None = None) -> None:
        write_csv(self.tmp_path / f"raw/{self.year}/budget_lines.csv", table or consolidated(self.rows))

    def load(self, table: list[list[str]] | None = None) -> tuple[YearLoadResult, list[tuple]]:
        """Write the file and load the year: the load's result and the pending rows it recorded (the rows
        recorded before it are cleared first)."""
        self.write(table)
        files = RawFileReader(CONTRACT, self.tmp_path / "raw", self.tmp_path / "converted").collect(self.year)
        con = duckdb.connect(str(self.db))
        try:
            if con.execute("select count(*) from duckdb_tables() where schema_name = 'raw' "
                           "and table_name = '_pending_departments'").fetchone()[0]:
                con.execute(f"delete from {PENDING_TABLE}")
            result = load_year(con, CONTRACT, files)
            return result, con.execute(PENDING_SQL).fetchall()
        finally:
            con.close()

    def sql(self, query: str) -> list[tuple]:
        con = duckdb.connect(str(self.db), read_only=True)
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()


@pytest.fixture
def year(tmp_path) -> Year:
    return Year(tmp_path)


def test_a_first_load_records_the_year_whole_and_a_reload_only_the_changed_department(year):
    result, pending = year.load()
    assert year.sql("select department_code, count(*) from raw.budget_lines group by 1 order by 1") == [
        (code, 14) for code in DEPARTMENTS]
    assert pending == [(2017, None, True)]
    assert result.changed_departments is None

    year.rows["D-002"] = with_amount(year.rows["D-002"], 2, "777.00")
    result, pending = year.load()
    assert year.sql("select count(*) from raw.budget_lines where final_budget = '777.00'") == [(1,)]
    assert pending == [(2017, None, False), (2017, "D-002", False)]
    assert result.changed_departments == ["D-002"]

    result, pending = year.load()  # the same files again
    assert pending == [(2017, None, False)]
    assert result.changed_departments == []


def test_a_row_that_moves_changes_the_departments_whose_rows_moved(year):
    year.load()
    # Two rows of one department swap places: same values, other source rows; that department only.
    rows = year.rows["D-003"]
    rows[0], rows[1] = rows[1], rows[0]
    result, pending = year.load()
    assert pending == [(2017, None, False), (2017, "D-003", False)]
    assert result.changed_departments == ["D-003"]

    # The last row of D-001 and the first of D-002 swap places: both departments.
    table = consolidated(year.rows)
    last_of_first = len(year.rows["D-001"])
    table[last_of_first], table[last_of_first + 1] = table[last_of_first + 1], table[last_of_first]
    assert [table[last_of_first][0], table[last_of_first + 1][0]] == ["D-002", "D-001"]
    result, pending = year.load(table)
    assert pending == [(2017, None, False), (2017, "D-001", False), (2017, "D-002", False)]
    assert result.changed_departments == ["D-001", "D-002"]


def test_a_year_whose_departments_mostly_changed_is_recorded_whole(year):
    assert WHOLE_YEAR_SHARE == 0.5
    year.load()
    # Half of the departments (2 of 4) is not more than half: the year stays narrowed.
    for code in DEPARTMENTS[:2]:
        year.rows[code] = with_amount(year.rows[code], 1, "888.00")
    result, pending = year.load()
    assert pending == [(2017, None, False), (2017, "D-001", False), (2017, "D-002", False)]
    assert result.changed_departments == ["D-001", "D-002"]
    # Three of four: whole.
    for code in DEPARTMENTS[:3]:
        year.rows[code] = with_amount(year.rows[code], 3, "999.00")
    result, pending = year.load()
    assert pending == [(2017, None, True)]
    assert result.changed_departments is None


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "scope.duckdb"))
    ensure_scope_tables(con)
    yield con
    con.close()


def pend(con: duckdb.DuckDBPyConnection, *rows: tuple[int, str | None, bool]) -> None:
    con.executemany(f"insert into {PENDING_TABLE} values (?, ?, ?, now())", [list(r) for r in rows])


def scope(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(f"select department_code from {SCOPE_TABLE} order by all nulls first").fetchall()


def pending(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(PENDING_SQL).fetchall()


def test_the_scope_at_rest_is_every_department(con):
    assert scope(con) == [(None,)]
    assert pending(con) == []
    ensure_scope_tables(con)  # again: the scope is not added to
    assert scope(con) == [(None,)]


def test_a_run_whose_first_year_was_loaded_is_narrowed_to_its_departments(con):
    pend(con, (2016, None, False), (2016, "A", False))
    assert write_scope(con, [2018, 2016, 2017]) == ["A"]
    assert scope(con) == [("A",)]
    # Every year of the run that a load recorded brings its departments.
    pend(con, (2017, None, False), (2017, "C", False), (2017, "B", False))
    assert write_scope(con, [2016, 2017, 2018]) == ["A", "B", "C"]
    assert scope(con) == [("A",), ("B",), ("C",)]


def test_a_run_whose_first_year_no_load_recorded_is_not_narrowed(con):
    pend(con, (2016, None, False), (2016, "A", False))
    assert write_scope(con, [2015, 2016]) is None
    assert scope(con) == [(None,)]
    assert write_scope(con, []) is None
    assert scope(con) == [(None,)]


def test_a_year_recorded_whole_in_the_run_makes_it_whole(con):
    pend(con, (2016, None, False), (2016, "A", False), (2017, None, True))
    write_scope(con, [2016])
    assert scope(con) == [("A",)]
    assert write_scope(con, [2016, 2017]) is None
    assert scope(con) == [(None,)]


def test_a_load_that_changed_nothing_leaves_an_empty_scope(con):
    pend(con, (2016, None, False))
    assert write_scope(con, [2016, 2017]) == []
    assert scope(con) == []


def test_pending_rows_of_years_outside_the_run_are_ignored_and_kept(con):
    pend(con, (2016, None, False), (2016, "A", False), (2019, None, False), (2019, "Z", False), (2020, None, True))
    assert write_scope(con, [2016, 2017]) == ["A"]
    assert scope(con) == [("A",)]
    assert pending(con) == [(2016, None, False), (2016, "A", False), (2019, None, False), (2019, "Z", False),
                            (2020, None, True)]


def test_finishing_a_build_clears_its_years_and_makes_the_scope_whole(con):
    pend(con, (2016, None, False), (2016, "A", False), (2017, None, False), (2017, "B", False), (2019, None, True))
    assert write_scope(con, [2016, 2017]) == ["A", "B"]
    finish_build(con, [2017, 2016])
    assert pending(con) == [(2019, None, True)]
    assert scope(con) == [(None,)]
    finish_build(con, None)
    assert pending(con) == []
    assert scope(con) == [(None,)]


def test_resetting_the_scope_keeps_the_pending_rows(con):
    pend(con, (2016, None, False), (2016, "A", False))
    assert write_scope(con, [2016]) == ["A"]
    reset_scope(con)
    assert scope(con) == [(None,)]
    assert pending(con) == [(2016, None, False), (2016, "A", False)]


def test_the_kinds_a_load_changed_are_what_the_build_reads_from(year):
    """The file kinds whose rows a load changed (and '_findings', the contract findings) are recorded for the
    year; a load that changed nothing records none, and a run whose first year no load recorded knows none."""
    year.load()
    con = duckdb.connect(str(year.db))
    try:
        assert changed_kinds(con, [2017, 2018]) == {"budget_lines"}
        assert changed_kinds(con, [2016, 2017]) is None
        finish_build(con, [2017])
    finally:
        con.close()
    year.load()  # the same file again: the year is recorded, no kind changed
    con = duckdb.connect(str(year.db))
    try:
        assert changed_kinds(con, [2017]) == set()
    finally:
        con.close()



def test_a_year_whose_files_did_not_change_is_kept_as_loaded(year, monkeypatch):
    """The load records the digest of the year's files (and of what reads them); a year with the same digest
    is kept, its result read back from what it holds and recorded for the build as nothing changed. A changed
    file, or WAREHOUSE_RELOAD_UNCHANGED=1, loads it again."""
    from functools import partial

    from orchestration.unchanged_years import YEAR_LOADS_TABLE, kept_load, record_year_load, year_digest

    year.rows["D-003"] = with_amount(year.rows["D-003"], 1, "-5.00")  # a negative amount: a quarantined slice
    year.write()
    digest = year_digest(year.tmp_path / "raw", year.year)
    files = RawFileReader(CONTRACT, year.tmp_path / "raw", year.tmp_path / "converted").collect(year.year)
    con = duckdb.connect(str(year.db))
    try:
        assert kept_load(con, CONTRACT, year.year, digest) is None  # never loaded
        loaded = load_year(con, CONTRACT, files, recorded=partial(record_year_load, year=year.year, digest=digest))
        assert con.execute(f"select fiscal_year, digest from {YEAR_LOADS_TABLE}").fetchall() == [(year.year, digest)]
        con.execute(f"delete from {PENDING_TABLE}")
        kept = kept_load(con, CONTRACT, year.year, digest)
        assert kept is not None and con.execute(PENDING_SQL).fetchall() == [(year.year, None, False)]
        assert kept.kind("budget_lines") == loaded.kind("budget_lines")
        assert sorted(map(repr, kept.findings)) == sorted(map(repr, loaded.findings)) and kept.findings
        assert kept.quarantined == loaded.quarantined == {f"{year.year}/budget_lines.csv"}
        assert kept.changed_departments == []
        monkeypatch.setenv("WAREHOUSE_RELOAD_UNCHANGED", "1")
        assert kept_load(con, CONTRACT, year.year, digest) is None
    finally:
        con.close()
    year.rows["D-001"] = with_amount(year.rows["D-001"], 2, "12.00")
    year.write()
    assert year_digest(year.tmp_path / "raw", year.year) != digest
