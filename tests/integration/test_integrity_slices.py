"""On a build narrowed to some departments, a model built by slice has its integrity test read the slices the
build rewrote (macros/fiscal_years.sql, tested_slices); a full build tests every row."""

from __future__ import annotations

import os
import subprocess

import duckdb

from orchestration.dbt_manifest import scratch_target
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

YEAR = 2017


def _integrity_test(wh, *flags: str) -> subprocess.CompletedProcess:
    """dbt's integrity test of marts.project_execution alone (no model rebuilt), with the run's flags."""
    with scratch_target("dbt-test-") as target:
        return subprocess.run(
            [str(DBT_EXECUTABLE), "build", "--select", "project_execution", "--resource-type", "test",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", target,
             "--no-write-json", *flags], capture_output=True, text=True, env={**os.environ, **wh.env()}, timeout=300)


def _duplicate_a_line(con: duckdb.DuckDBPyConnection, department: str) -> None:
    con.execute("insert into marts.project_execution select * from marts.project_execution "
                "where department_code = ? and fiscal_year = ? and line_no = 1", [department, YEAR])


def test_a_narrowed_build_tests_its_slices_and_a_full_build_every_row(bundled_copy) -> None:
    wh = bundled_copy
    con = duckdb.connect(str(wh.work_db))
    departments = [r[0] for r in con.execute(
        "select distinct department_code from marts.project_execution where fiscal_year = ? and line_no = 1 "
        "order by 1", [YEAR]).fetchall()]
    in_scope, outside = departments[0], departments[1]
    con.execute("delete from raw._refresh_scope")
    con.execute("insert into raw._refresh_scope values (?)", [in_scope])
    _duplicate_a_line(con, outside)  # a broken key outside the build's slices
    con.close()
    narrowed = ["--event-time-start", f"{YEAR}-01-01", "--event-time-end", f"{YEAR + 1}-01-01"]

    result = _integrity_test(wh, *narrowed)
    assert result.returncode == 0, result.stdout[-3000:]  # not a slice this build wrote
    result = _integrity_test(wh)
    assert result.returncode != 0 and "integrity_project_execution" in result.stdout  # every row
    result = _integrity_test(wh, *narrowed, "--full-refresh")
    assert result.returncode != 0, "--full-refresh tests every row"

    con = duckdb.connect(str(wh.work_db))
    _duplicate_a_line(con, in_scope)  # inside the slices: found by the narrowed test too
    con.close()
    result = _integrity_test(wh, *narrowed)
    assert result.returncode != 0 and "integrity_project_execution" in result.stdout, result.stdout[-3000:]
