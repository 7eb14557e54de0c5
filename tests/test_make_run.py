"""`make run` on the bundled data, then an analyst's query from a fresh Python process."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal as D

from orchestration.contract import PROJECT_ROOT


def test_make_run_then_query_in_a_fresh_process(tmp_path):
    published = tmp_path / "marts"
    env = {
        **os.environ,
        "WAREHOUSE_RAW_DIR": str(PROJECT_ROOT / "data" / "raw"),
        "WAREHOUSE_WORK_DB": str(tmp_path / "work" / "build.duckdb"),
        "WAREHOUSE_PUBLISH_DIR": str(published),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    run = subprocess.run(["make", "run"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    query = (
        "import duckdb; con = duckdb.connect(r'%s', read_only=True); "
        "rows = con.execute(\"select execution_rate, stated_execution_rate from marts.department_execution "
        "where department_code = 'WH-DHZB' and fiscal_year = 2017\").fetchall(); "
        "print(*rows[0], sep='|')"
    ) % (published / "warehouse.duckdb")
    out = subprocess.run([sys.executable, "-c", query], capture_output=True, text=True, check=True).stdout
    rate, stated = (D(x) for x in out.strip().split("|"))
    assert (rate, stated) == (D("0.8001947507"), D("0.8002"))
    # A Dagster instance recorded the materializations of every layer.
    from dagster import AssetKey, DagsterInstance

    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        for key in (["raw", "budget_lines"], ["staging", "stg_reports__budget_lines"],
                    ["marts", "department_execution"], ["published_warehouse"]):
            assert instance.get_latest_materialization_event(AssetKey(key)) is not None, key
