"""`make run` on the bundled data (plus one file a clerk got wrong), as a new user runs it: its progress lines
and summary, then every command the README shows an analyst, each run as the README shows it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path
from unittest import mock

from conftest import BUNDLED_RAW, CHROMIUM, LOCAL_SCHEMES

from orchestration.contract import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
BROKEN = "2019/TST-CLERK/budget_lines.csv"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def _make(target: str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", target], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600, **kwargs)


def test_make_run_then_every_command_the_readme_shows(tmp_path: Path, browser) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(BUNDLED_RAW, raw)
    (raw / BROKEN).parent.mkdir(parents=True)
    (raw / BROKEN).write_text("部门编码,年度,序号,项目名称,支出类型,最终预算,决算金额,行类型,金额单位\n"
                              "TST-CLERK,2019,1,办公费,project,\"12,34\",100,item,万元\n", encoding="utf-8")
    published = tmp_path / "marts"
    env = {
        **os.environ,
        "WAREHOUSE_RAW_DIR": str(raw),
        "WAREHOUSE_WORK_DB": str(tmp_path / "work" / "build.duckdb"),
        "WAREHOUSE_PUBLISH_DIR": str(published),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    run = _make("run", env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]

    # One line per step with its time, a summary, and none of dbt's per-node lines: those are in the log.
    out = run.stdout
    for step in ("load raw files", "rule sets", "dbt build (models, scores and tests)", "publish"):
        assert re.search(rf"^  {re.escape(step)}.* \d+\.\d s$", out, flags=re.M), step
    assert " of 141 START" not in out and "Concurrency:" not in out
    assert re.search(rf"^quarantined \(1 file\(s\).*\n  {BROKEN}: row 2", out, flags=re.M), out
    assert "findings, real departments: error" in out
    assert re.search(r"findings, synthetic demo departments: .*errors injected on purpose, \d+ listed in", out)
    log = Path(re.search(r"^log \(dbt, Dagster\): +(\S+)$", out, flags=re.M).group(1))
    log = log if log.is_absolute() else PROJECT_ROOT / log
    assert "START sql" in log.read_text(encoding="utf-8")
    for name in ("dashboard.html", "data_quality_report.html", "xlsx/", "parquet/"):
        shown = re.search(rf"^\S.*: +(\S*{re.escape(name)})$", out, flags=re.M).group(1)
        assert (Path(shown) if Path(shown).is_absolute() else PROJECT_ROOT / shown).exists(), name

    # An analyst's query from a fresh Python process.
    query = (
        "import duckdb; con = duckdb.connect(r'%s', read_only=True); "
        "rows = con.execute(\"select execution_rate, stated_execution_rate from marts.department_execution "
        "where department_code = 'WH-DHZB' and fiscal_year = 2017\").fetchall(); "
        "print(*rows[0], sep='|')"
    ) % (published / "warehouse.duckdb")
    rate, stated = (D(x) for x in subprocess.run([sys.executable, "-c", query], capture_output=True, text=True,
                                                 check=True).stdout.strip().split("|"))
    assert (rate, stated) == (D("0.8001947507"), D("0.8002"))

    # The README's Python blocks, one after the other as a reader types them, on this publication.
    code = "\n".join(_blocks("python")).replace("data/marts/", f"{published}/")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0 and "department_name" in done.stdout, code + done.stderr

    # Every SQL block, typed into `make sql` (the DuckDB command line, read-only on the published file).
    for block in _blocks("sql"):
        done = _make("sql", env, input=block.replace("data/marts/", f"{published}/"))
        assert done.returncode == 0 and "Error" not in done.stdout + done.stderr, block + done.stdout + done.stderr
        assert "│" in done.stdout  # a result table was printed
    assert "预算执行率" in _make("sql", env, input="select label_zh from meta.columns where column_name = "
                             "'execution_rate' and table_name = 'department_execution';").stdout
    status = subprocess.run([sys.executable, "-m", "orchestration.cli", "status"], env=env, capture_output=True,
                            text=True, cwd=PROJECT_ROOT)
    assert status.returncode == 0 and "agree" in status.stdout

    # `make docs`: the data dictionary page, every mart in it, the score marts too.
    docs = _make("docs", env)
    assert docs.returncode == 0, docs.stdout[-2000:] + docs.stderr[-2000:]
    page = (published / "data_dictionary.html").read_text(encoding="utf-8")
    marts = [name for (name,) in _published_marts(published / "warehouse.duckdb")]
    assert "department_scores" in marts and "indicator_scores" in marts
    missing = [m for m in marts if f'"name":"{m}"' not in page.replace(": ", ":").replace('\\"', '"')]
    assert not missing, missing
    _opens_offline(browser, published / "data_dictionary.html",
                   "#!/model/model.budget_performance.department_scores", "部门综合评分")

    # `make templates`: the clerks' workbooks, one per file kind (tests/unit/test_templates_validate.py checks them).
    templates = _make("templates", env)
    assert templates.returncode == 0, templates.stderr
    assert (PROJECT_ROOT / "data" / "templates" / "budget_lines.xlsx").exists()

    # A Dagster instance recorded the materializations of every layer.
    from dagster import AssetKey, DagsterInstance

    # (The instance `make setup` installed finds its event log through $DAGSTER_HOME, as `make dev` does.)
    with mock.patch.dict(os.environ, {"DAGSTER_HOME": env["DAGSTER_HOME"]}), \
            DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        for key in (["raw", "budget_lines"], ["staging", "stg_reports__budget_lines"],
                    ["marts", "department_execution"], ["published_warehouse"]):
            assert instance.get_latest_materialization_event(AssetKey(key)) is not None, key


def _published_marts(db: Path) -> list[tuple[str]]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
    finally:
        con.close()


def _opens_offline(browser, page_path: Path, fragment: str, expected: str) -> None:
    """The page renders from disk in Chromium (dbt's default docs site fetches its JSON and hangs there)."""
    assert browser is not None, f"Chromium is not installed ({CHROMIUM}): apt-get install chromium, as .ci/run does"
    page = browser.new_page()
    try:
        errors: list[str] = []
        remote: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(LOCAL_SCHEMES) else None)
        page.goto(page_path.as_uri() + fragment)
        page.wait_for_function(f"document.body.innerText.includes({expected!r})", timeout=20_000)
        assert errors == [] and remote == [], (errors, remote)
    finally:
        page.close()
