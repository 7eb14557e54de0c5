"""Performance benchmark of the warehouse refresh (not a test).

    .venv/bin/python bench/run_bench.py [--quick] [--workdir /tmp/warehouse-bench] [--regenerate]
    .venv/bin/python bench/run_bench.py --profile [--quick]

Standard run (bench/README.md):
  1. the fixed cost: a warm refresh of an empty raw folder; `make run` on the bundled data, warm;
  2. full refreshes (`python -m orchestration.cli run`, the code path of `make run`, in a subprocess with its
     own raw folder, working database, publish folder and a fresh DAGSTER_HOME) of demo data: 10,000
     department-years (1,000 departments x 2011-2020) in the consolidated layout (one file per kind and year)
     and the per-department layout (one file per kind and department-year), and 100,000 department-years
     (10,000 departments) consolidated; --quick uses 200 and 1,000;
  3. incremental refreshes: a new fiscal year for every department of the 10k consolidated warehouse
     (`run --year 2021`), and one amount of one department-year changed (`run --year <that year>`) in the
     10k warehouses and the 100k one;
  4. the reference (bench/reference.sql, one DuckDB script over the raw CSV files) on the raw folder of every
     full scenario and after the incremental ones, compared row for row with the published marts (EXCEPT ALL
     both ways); any difference fails the benchmark (exit 1);
  5. analyst queries on the published 100k file (read-only, 1 warm-up + 20 timed runs each, the result
     fetched as a DataFrame; as Python tuples too, for information).
It prints a table and ends with issue 14's line:
  empty_s=… full_10k_s=… full_100k_s=… ref_100k_s=… ratio_growing_100k=… incr_dept_100k_s=… incr_over_empty_s=…
  peak_rss_mb=… query_p95_ms=… make_run_s=… empty_forced_s=…
(empty_forced_s: the empty refresh made to run every step with WAREHOUSE_RELOAD_UNCHANGED=1, the fixed cost of
a refresh that has work to do; a refresh with nothing new stops before Dagster, orchestration/up_to_date.py.)
Generating the demo data is timed and reported, but counted in no figure.

--profile separates fixed overhead from work that grows with data: `import orchestration.definitions`,
`dbt parse`, a refresh on an empty raw folder and on one department-year, and the full 10k refresh with the
wall time of every Dagster step (from the run's event log) and the slowest dbt nodes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import psutil

PROJECT = Path(__file__).resolve().parents[1]
BENCH_DIR = PROJECT / "bench"
REFERENCE_SQL = BENCH_DIR / "reference.sql"
ANALYST_SQL = BENCH_DIR / "analyst_queries.sql"
VENV_PYTHON = PROJECT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))
DBT = str(Path(PYTHON).with_name("warehouse-dbt"))  # orchestration/dbt_command.py
DBT_PROJECT_DIR = PROJECT / "dbt_project"
DAGSTER_YAML = PROJECT / "orchestration" / "dagster.yaml"
DEFAULT_WORKDIR = Path("/tmp/warehouse-bench")
FIRST_YEAR, YEARS = 2011, 10
SEED = 42
CONSOLIDATED, PER_DEPARTMENT = "consolidated", "per-department"
POLL_SECONDS = 0.2
PARSED = "dbt manifest: parsed"  # what `cli prepare` prints when it ran dbt parse
QUERY_RUNS = 20
SCORE_RULE_SET = "wuhan_2017_department"

# The published marts the reference reproduces, and the columns compared.
COMPARED: dict[str, list[str]] = {
    "project_execution": ["department_code", "fiscal_year", "line_no", "final_budget", "actual_spend", "variance",
                          "execution_rate"],
    "department_execution": ["department_code", "fiscal_year", "initial_budget", "budget_adjustment", "final_budget",
                             "actual_spend", "execution_rate", "adjustment_rate", "headcount_authorized",
                             "headcount_actual"],
    "three_public_expenses": ["department_code", "fiscal_year", "line_no", "category", "budget", "actual",
                              "usage_rate"],
    "indicator_completion": ["department_code", "fiscal_year", "indicator_no", "part_no", "target_value",
                             "actual_value", "completion_rate"],
    "department_scores": ["department_code", "fiscal_year", "rule_set", "score_pi1", "score_pi2", "total_score",
                          "grade", "rank_in_year"],
}
# How the published side is selected where its shape differs from the reference's.
PUBLISHED_SELECT = {
    "department_scores": """select department_code, fiscal_year, rule_set, "score_PI-1" as score_pi1,
        "score_PI-2" as score_pi2, total_score, grade, rank_in_year
        from pub.marts.department_scores where rule_set = 'pefa_outturn'""",
}


# ---------------------------------------------------------------------------------------------------------------
# Running and measuring a process tree


@dataclass(frozen=True)
class Measured:
    wall_s: float
    peak_rss_mb: float
    returncode: int
    log: Path
    # Peak RSS (MB) by phase of a refresh (the cli's progress lines: "load", "transform") and by process:
    # "<phase> main" is the cli's own process (Dagster, the load, the publication), "<phase> children" its
    # subprocesses (dbt).
    peaks_mb: dict[str, float] = field(default_factory=dict)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def peaks_text(self) -> str:
        return ", ".join(f"{k} {v:.0f}" for k, v in self.peaks_mb.items())


def process_rss(process: psutil.Process) -> tuple[int, int]:
    """Resident set size of a process and of all its descendants together, in bytes."""
    try:
        own = process.memory_info().rss
        children = process.children(recursive=True)
    except psutil.Error:
        return 0, 0
    total = 0
    for member in children:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
    return own, total


# The cli's progress lines that open a phase of a refresh.
PHASES = (("loading the raw files", "load"), ("building, scoring and publishing", "transform"))


def current_phase(log: Path, phase: str) -> str:
    text = log.read_text(encoding="utf-8", errors="replace")
    found = max(((text.rfind(line), name) for line, name in PHASES), default=(-1, phase))
    return found[1] if found[0] >= 0 else phase


def run_measured(cmd: Sequence[str], env: dict[str, str], log: Path) -> Measured:
    """Run a command, polling the RSS of its process tree every POLL_SECONDS; output goes to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    peaks: dict[str, int] = {}
    phase = "start"
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(cmd), env=env, cwd=PROJECT, stdout=out, stderr=subprocess.STDOUT)
        watched = psutil.Process(proc.pid)
        while True:
            own, children = process_rss(watched)
            peak = max(peak, own + children)
            phase = current_phase(log, phase)
            for name, value in ((f"{phase} main", own), (f"{phase} children", children)):
                peaks[name] = max(peaks.get(name, 0), value)
            try:
                proc.wait(timeout=POLL_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
        wall = time.perf_counter() - started
    return Measured(wall, peak / 2**20, proc.returncode, log, {k: v / 2**20 for k, v in peaks.items() if v})


def tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------------------------
# Demo data


@dataclass(frozen=True)
class Scale:
    label: str  # "1k" / "10k" (the name in the summary line, whatever --quick makes of it)
    departments: int
    years: int = YEARS

    @property
    def department_years(self) -> int:
        return self.departments * self.years

    @property
    def year_range(self) -> tuple[int, int]:
        return FIRST_YEAR, FIRST_YEAR + self.years - 1


def scales(quick: bool) -> list[Scale]:
    """The two scales: 10,000 department-years (both layouts) and 100,000 (consolidated: 10,000 departments'
    files per kind and year; 80,000 files a year would be the per-department layout's)."""
    return [Scale("10k", 20), Scale("100k", 100)] if quick else [Scale("10k", 1000), Scale("100k", 10000)]


GENERATED: dict[str, float] = {}  # seconds spent generating demo data, by folder


def generate(out: Path, departments: int, first: int, last: int, layout: str, regenerate: bool) -> Path:
    """Demo data (generator defaults: inconsistency rate, ~25 lines, ~20 indicators), cached under workdir."""
    stamp = out / ".complete"
    wanted = f"{departments} {first}-{last} {layout} seed {SEED}"
    if not regenerate and stamp.exists() and stamp.read_text() == wanted:
        return out
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    cmd = [PYTHON, "-m", "tools.demo_data", "--out", str(out), "--departments", str(departments),
           "--years", f"{first}-{last}", "--seed", str(SEED), "--layout", layout]
    result = subprocess.run(cmd, cwd=PROJECT, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"demo generator failed:\n{result.stdout}\n{result.stderr}")
    stamp.write_text(wanted)
    GENERATED[str(out)] = time.perf_counter() - started
    print(f"  generated {departments} departments x {first}-{last} ({layout}) in {GENERATED[str(out)]:.1f} s "
          "(not counted)")
    return out


def link_tree(source: Path, target: Path) -> None:
    """Hard-link copy of a folder (files are replaced, never edited in place, so the cache stays intact)."""
    shutil.copytree(source, target, copy_function=os.link, ignore=shutil.ignore_patterns(".complete"))


# ---------------------------------------------------------------------------------------------------------------
# A warehouse under test: its folders and its refreshes


@dataclass
class Warehouse:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def published(self) -> Path:
        return self.root / "marts" / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update({
            "WAREHOUSE_RAW_DIR": str(self.raw),
            "WAREHOUSE_WORK_DB": str(self.root / "work" / "build.duckdb"),
            "WAREHOUSE_PUBLISH_DIR": str(self.root / "marts"),
            "WAREHOUSE_RULE_SETS_DIR": str(PROJECT / "rule_sets"),
            "DAGSTER_HOME": str(self.root / "dagster_home"),
            # The generated years are the warehouse's fiscal-year partitions (orchestration/partitions.py).
            "WAREHOUSE_FIRST_FISCAL_YEAR": str(FIRST_YEAR),
            "PYTHONUNBUFFERED": "1",
        })
        return env

    def reset(self) -> None:
        """A fresh scenario: no raw data, no working database, no published marts, a fresh DAGSTER_HOME."""
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root / "dagster_home").mkdir(parents=True)
        shutil.copy(DAGSTER_YAML, self.root / "dagster_home" / "dagster.yaml")

    def prepare(self, log_name: str) -> Measured:
        """`cli prepare`: dbt parse if this warehouse's environment differs from the last parse's (it names its
        own working database, which the dbt profile reads). Run untimed before each timed refresh, so that
        every refresh is timed warm, as a scheduled refresh in an unchanged environment runs."""
        return run_measured([PYTHON, "-m", "orchestration.cli", "prepare"], self.env(),
                            self.root / "logs" / f"{log_name}-prepare.log")

    def refresh(self, log_name: str, years: Sequence[int] = (), extra_env: dict[str, str] | None = None) -> Measured:
        cmd = [PYTHON, "-m", "orchestration.cli", "run"]
        for year in years:
            cmd += ["--year", str(year)]
        return run_measured(cmd, self.env() | (extra_env or {}), self.root / "logs" / f"{log_name}.log")

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        con = duckdb.connect(str(self.published), read_only=True)
        try:
            return con.execute(sql, list(params)).fetchall()
        finally:
            con.close()

    def rows_loaded(self, years: Sequence[int] = ()) -> int:
        where = f"where _partition_year in ({', '.join(str(y) for y in years)})" if years else ""
        return int(self.query(f"select coalesce(sum(row_count), 0) from meta.source_files {where}")[0][0])



# The cli's lines "  load raw files 2015-2022   3.0 s" and "  transform run 2015-2022, in all   15.8 s".
STEP_LINE = re.compile(r"^  (load raw files [0-9,-]+|transform run [0-9,-]+, in all)\s+([0-9.]+) s$", re.MULTILINE)


def step_times(output: str) -> dict[str, float]:
    """The job timings the cli prints (each load run, each transform run)."""
    return {m.group(1): float(m.group(2)) for m in STEP_LINE.finditer(output)}


# ---------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class Row:
    scenario: str
    layout: str
    department_years: int
    measured: Measured
    rows_loaded: int
    steps: dict[str, float] = field(default_factory=dict)
    ref_s: float | None = None
    check: str = ""

    @property
    def load_s(self) -> float:
        return sum(v for k, v in self.steps.items() if k.startswith("load raw files"))

    @property
    def transform_s(self) -> float:
        return sum(v for k, v in self.steps.items() if k.startswith("transform run"))

    @property
    def rows_per_s(self) -> float:
        return self.rows_loaded / self.measured.wall_s if self.measured.wall_s else 0.0


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    query_ms: dict[str, list[float]] = field(default_factory=dict)

    def row(self, scenario: str) -> Row | None:
        return next((r for r in self.rows if r.scenario == scenario), None)


def refresh_or_die(warehouse: Warehouse, log_name: str, years: Sequence[int] = (),
                   extra_env: dict[str, str] | None = None) -> Measured:
    prepared = warehouse.prepare(log_name)
    if prepared.returncode != 0:
        raise SystemExit(f"FAIL: prepare before {log_name} exited with {prepared.returncode}; log {prepared.log}:\n"
                         f"{tail(prepared.output())}")
    print(f"  (untimed: cli prepare {prepared.wall_s:.1f} s{', dbt parsed' if PARSED in prepared.output() else ''})")
    measured = warehouse.refresh(log_name, years, extra_env)
    if measured.returncode != 0:
        raise SystemExit(f"FAIL: refresh {log_name} exited with {measured.returncode} after {measured.wall_s:.1f} s; "
                         f"log {measured.log}:\n{tail(measured.output())}")
    return measured


# ---------------------------------------------------------------------------------------------------------------
# The reference: bench/reference.sql, run in a child process, compared with the published marts


@dataclass(frozen=True)
class Quarantine:
    """What the published warehouse left out for breaking the contract (meta.contract_findings)."""

    source_file: str  # relative to the raw folder
    department_code: str | None  # None: the whole file
    previous_kept: bool  # the pipeline kept a previous version in its place (the reference cannot)

    @property
    def label(self) -> str:
        return self.source_file + (f" (rows of {self.department_code})" if self.department_code else "")


SLICE_ACTION = re.compile(r"^rows of (.+) in this file quarantined")


def quarantined(con: duckdb.DuckDBPyConnection) -> list[Quarantine]:
    out = {}
    for source_file, action in con.execute("select distinct source_file, action from pub.meta.contract_findings "
                                           "where action like '%quarantined%' order by 1, 2").fetchall():
        match = SLICE_ACTION.match(action)
        item = Quarantine(source_file, match.group(1) if match else None, "stays loaded" in action)
        out[(item.source_file, item.department_code)] = item
    return list(out.values())


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(sql_text(v) for v in values) + "]"


def reference_sql(raw_dir: Path, left_out: Sequence[Quarantine] = ()) -> str:
    """bench/reference.sql for a raw folder, leaving out what the pipeline quarantined."""
    files = [(raw_dir / q.source_file).as_posix() for q in left_out if q.department_code is None]
    slices = [f"{(raw_dir / q.source_file).as_posix()}|{q.department_code}" for q in left_out if q.department_code]
    text = REFERENCE_SQL.read_text(encoding="utf-8")
    return (text.replace("${RAW_DIR}", raw_dir.as_posix().replace("'", "''"))
            .replace("${QUARANTINED_FILES}", sql_list(files)).replace("${QUARANTINED_SLICES}", sql_list(slices)))


def compare_marts(con: duckdb.DuckDBPyConnection, samples: int = 5) -> dict[str, dict]:
    """EXCEPT ALL both ways between ref.<mart> and the published pub.marts.<mart>, on the compared columns."""
    out = {}
    for mart, columns in COMPARED.items():
        cols = ", ".join(columns)
        published = PUBLISHED_SELECT.get(mart, f"select {cols} from pub.marts.{mart}")
        ref = f"select {cols} from ref.{mart}"
        only_pub = f"select {cols} from ({published}) except all {ref}"
        only_ref = f"{ref} except all select {cols} from ({published})"
        out[mart] = {
            "published_rows": con.execute(f"select count(*) from ({published})").fetchone()[0],
            "reference_rows": con.execute(f"select count(*) from ({ref})").fetchone()[0],
            "only_published": con.execute(f"select count(*) from ({only_pub})").fetchone()[0],
            "only_reference": con.execute(f"select count(*) from ({only_ref})").fetchone()[0],
            "samples_published": [[str(v) for v in r] for r in
                                  con.execute(f"{only_pub} order by all limit {samples}").fetchall()],
            "samples_reference": [[str(v) for v in r] for r in
                                  con.execute(f"{only_ref} order by all limit {samples}").fetchall()],
        }
    return out


def data_rows(path: Path, department_code: str | None) -> int | None:
    """Data rows of a raw CSV file (of one department only, when given)."""
    if not path.is_file():
        return None
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, [])
        column = header.index("部门编码") if "部门编码" in header else None
        return sum(1 for row in rows if department_code is None or (column is not None and len(row) > column
                                                                  and row[column] == department_code))


def raise_open_file_limit() -> None:
    """A union_by_name read keeps every file of the glob open: 10,000 per-department files need a high limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def reference_child(raw_dir: Path, published: Path, out_json: Path) -> int:
    """Entry point of the child process: run the reference SQL in memory, time it, compare, write JSON."""
    raise_open_file_limit()
    con = duckdb.connect()
    con.execute(f"attach {sql_text(published.as_posix())} as pub (read_only)")
    left_out = quarantined(con)  # the pipeline's decision, mirrored (not timed)
    started = time.perf_counter()
    con.execute(reference_sql(raw_dir, left_out))
    sql_s = time.perf_counter() - started
    result = {"sql_s": sql_s, "marts": compare_marts(con), "quarantined": [
        [q.label, data_rows(raw_dir / q.source_file, q.department_code), q.previous_kept] for q in left_out]}
    out_json.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


@dataclass(frozen=True)
class ReferenceResult:
    sql_s: float
    measured: Measured
    marts: dict[str, dict]
    quarantined: list[list]  # [what, data rows left out, whether the pipeline kept a previous version]

    @property
    def differing(self) -> int:
        return sum(m["only_published"] + m["only_reference"] for m in self.marts.values())


def run_reference(warehouse: Warehouse, label: str) -> ReferenceResult:
    out_json = warehouse.root / "logs" / f"reference-{label}.json"
    cmd = [PYTHON, str(Path(__file__).resolve()), "--reference-child", str(warehouse.raw), str(warehouse.published),
           str(out_json)]
    measured = run_measured(cmd, dict(os.environ), warehouse.root / "logs" / f"reference-{label}.log")
    if measured.returncode != 0:
        raise SystemExit(f"FAIL: reference.sql failed on {warehouse.raw}:\n{tail(measured.output())}")
    data = json.loads(out_json.read_text(encoding="utf-8"))
    return ReferenceResult(data["sql_s"], measured, data["marts"], data["quarantined"])


def print_comparison(label: str, result: ReferenceResult, report: Report) -> str:
    print(f"  reference vs published marts ({label}): reference.sql {result.sql_s:.1f} s, "
          f"peak RSS {result.measured.peak_rss_mb:.0f} MB (child process, incl. comparison)")
    for what, rows, previous_kept in result.quarantined:
        print(f"    WARNING: the pipeline quarantined {what}, {rows} data rows, for breaking the contract "
              "(meta.contract_findings); the reference leaves them out too")
        if previous_kept:
            print("    WARNING: ... and kept a previous version in their place, which the reference cannot reproduce")
    for mart, m in result.marts.items():
        differing = m["only_published"] + m["only_reference"]
        flag = "ok" if differing == 0 else "DIFFERENT"
        print(f"    {mart:<24} published {m['published_rows']:>9}  reference {m['reference_rows']:>9}  "
              f"differing rows {differing:>7}  {flag}")
        if differing:
            report.failures.append(f"{label}: {mart}: {m['only_published']} published rows not in the reference, "
                                   f"{m['only_reference']} reference rows not published")
            for side in ("published", "reference"):
                for sample in m[f"samples_{side}"]:
                    print(f"      only in {side}: {', '.join(sample)}")
    check = "ref ok" if result.differing == 0 else f"ref: {result.differing} rows differ"
    if result.quarantined:
        check += f"; {len(result.quarantined)} quarantined"
    return check


# ---------------------------------------------------------------------------------------------------------------
# Scenarios


def full_scenario(report: Report, workdir: Path, scale: Scale, layout: str, regenerate: bool) -> Warehouse:
    first, last = scale.year_range
    short = "consolidated" if layout == CONSOLIDATED else "perdept"
    name = f"full_{scale.label}_{short}"
    print(f"\n== {name}: {scale.departments} departments x {scale.years} years = {scale.department_years} "
          f"department-years, {layout} layout")
    cache = generate(workdir / "cache" / f"{layout}-{scale.departments}x{first}-{last}", scale.departments, first,
                     last, layout, regenerate)
    warehouse = Warehouse(workdir / "runs" / name)
    warehouse.reset()
    link_tree(cache, warehouse.raw)
    measured = refresh_or_die(warehouse, "full")
    row = Row(name, layout, scale.department_years, measured, warehouse.rows_loaded(), step_times(measured.output()))
    print(f"  refresh {measured.wall_s:.1f} s (load {row.load_s:.1f} s, transform+publish {row.transform_s:.1f} s), "
          f"peak RSS {measured.peak_rss_mb:.0f} MB ({measured.peaks_text()}), {row.rows_loaded} raw rows")
    reference = run_reference(warehouse, "full")
    row.ref_s = reference.sql_s
    row.check = print_comparison(name, reference, report)
    report.rows.append(row)
    return warehouse


def add_next_year(report: Report, warehouse: Warehouse, workdir: Path, scale: Scale, regenerate: bool) -> None:
    """(a) one new fiscal year for every department: generated separately, copied in, `run --year <new>`."""
    first, last = scale.year_range
    new = last + 1
    print(f"\n== incr_year: fiscal year {new} arrives for all {scale.departments} departments (consolidated)")
    cache = generate(workdir / "cache" / f"{CONSOLIDATED}-{scale.departments}x{first}-{new}", scale.departments,
                     first, new, CONSOLIDATED, regenerate)
    link_tree(cache / str(new), warehouse.raw / str(new))
    measured = refresh_or_die(warehouse, f"incr-year-{new}", [new])
    row = Row("incr_year", CONSOLIDATED, scale.departments, measured, warehouse.rows_loaded([new]),
              step_times(measured.output()))
    print(f"  refresh --year {new}: {measured.wall_s:.1f} s (load {row.load_s:.1f} s, "
          f"transform+publish {row.transform_s:.1f} s), peak RSS {measured.peak_rss_mb:.0f} MB "
          f"({measured.peaks_text()})")
    report.rows.append(row)


@dataclass(frozen=True)
class Change:
    file: Path
    department_code: str
    fiscal_year: int
    line_no: int
    old: str
    new: str


def change_one_amount(raw: Path, layout: str, code: str, year: int) -> Change:
    """Add 1.00 万元 to the actual of the first budget line of one department-year (file rewritten, then replaced)."""
    folder = code if layout == PER_DEPARTMENT else "demo-bureau-export"
    path = raw / str(year) / folder / "budget_lines.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    header = rows[0]
    at = {name: header.index(name) for name in ("部门编码", "序号", "决算金额", "行类型", "金额单位")}
    for row in rows[1:]:
        if row[at["部门编码"]] == code and row[at["行类型"]] in ("item", "明细") and row[at["金额单位"]] == "万元":
            old = row[at["决算金额"]]
            value = Decimal(old.replace(",", "")) + 1
            row[at["决算金额"]] = f"{value:,.2f}" if "," in old else f"{value:.2f}"
            buffer = io.StringIO()
            csv.writer(buffer).writerows(rows)
            scratch = path.with_name(".budget_lines.csv.new")
            scratch.write_bytes(buffer.getvalue().encode("utf-8"))
            os.replace(scratch, path)  # replaces the hard link: the cached original is untouched
            return Change(path, code, year, int(row[at["序号"]]), old, row[at["决算金额"]])
    raise SystemExit(f"no budget line of {code} {year} in {path}")


def change_department(report: Report, warehouse: Warehouse, scale: Scale, layout: str, scenario: str) -> None:
    """(b) one department-year's budget_lines changes (one amount); `run --year <that year>`."""
    year = scale.year_range[0] + scale.years // 2
    code = "DEMO-001"
    change = change_one_amount(warehouse.raw, layout, code, year)
    print(f"\n== {scenario}: {code} {year} line {change.line_no} actual {change.old} -> {change.new} "
          f"in {change.file.relative_to(warehouse.raw)} ({layout})")
    measured = refresh_or_die(warehouse, f"{scenario}-{year}", [year])
    row = Row(scenario, layout, 1, measured, warehouse.rows_loaded([year]), step_times(measured.output()))
    print(f"  refresh --year {year}: {measured.wall_s:.1f} s (load {row.load_s:.1f} s, "
          f"transform+publish {row.transform_s:.1f} s), peak RSS {measured.peak_rss_mb:.0f} MB "
          f"({measured.peaks_text()})")
    published = warehouse.query("select actual_spend from marts.project_execution where department_code = ? "
                                "and fiscal_year = ? and line_no = ?", [code, year, change.line_no])
    expected = Decimal(change.new.replace(",", ""))
    if not published or published[0][0] != expected:
        report.failures.append(f"{scenario}: the changed amount is not published ({published} != {expected})")
        row.check = "change NOT published"
    else:
        row.check = "change published"
    report.rows.append(row)


# ---------------------------------------------------------------------------------------------------------------
# Analyst queries


QUERY_NAME = re.compile(r"^-- name: (\w+)$", re.MULTILINE)


def analyst_queries(warehouse: Warehouse) -> list[tuple[str, str, list[object]]]:
    """(name, sql, parameters) of the queries in bench/analyst_queries.sql, with parameters from the data."""
    year, code = warehouse.query("select max(fiscal_year), min(department_code) from marts.department_scores")[0]
    params: dict[str, list[object]] = {
        "rank_in_year": [SCORE_RULE_SET, year], "department_trend": [code, SCORE_RULE_SET],
        "worst_execution_rates": [], "findings_by_check": [],
    }
    blocks = QUERY_NAME.split(ANALYST_SQL.read_text(encoding="utf-8"))[1:]
    return [(name, sql.strip().rstrip(";"), params[name]) for name, sql in zip(blocks[::2], blocks[1::2], strict=True)]


def _timed(run: Callable[[], object]) -> list[float]:
    run()  # warm-up
    timings = []
    for _ in range(QUERY_RUNS):
        started = time.perf_counter()
        run()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def time_queries(warehouse: Warehouse, report: Report) -> None:
    """Each query run and its whole result delivered to the client as a table (a pandas DataFrame: what a
    Python analyst holds, and what a SQL client's columnar fetch costs); beside it, informative, the same
    result turned into Python tuples of Decimal objects (fetchall), which costs about 2 us a decimal value
    in DuckDB's Python client: 70 of the 107 ms of rank_in_year's 10,000 rows in session 12."""
    print(f"\n== analyst queries on {warehouse.published} (read-only; 1 warm-up + {QUERY_RUNS} runs each; "
          "result as a DataFrame, and as Python tuples for information)")
    con = duckdb.connect(str(warehouse.published), read_only=True)
    try:
        for name, sql, params in analyst_queries(warehouse):
            rows = len(con.execute(sql, params).fetchall())
            timings = _timed(lambda sql=sql, params=params: con.execute(sql, params).df())
            as_tuples = _timed(lambda sql=sql, params=params: con.execute(sql, params).fetchall())
            report.query_ms[name] = timings
            print(f"  {name:<24} {rows:>5} rows  median {percentile(timings, 50):7.2f} ms  "
                  f"p95 {percentile(timings, 95):7.2f} ms  max {max(timings):7.2f} ms  "
                  f"(as Python tuples: median {percentile(as_tuples, 50):7.2f} ms, "
                  f"p95 {percentile(as_tuples, 95):7.2f} ms)")
    finally:
        con.close()


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


# ---------------------------------------------------------------------------------------------------------------
# Output


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_table(report: Report) -> None:
    header = ["scenario", "layout", "dept-years", "raw rows", "wall s", "load s", "transform s", "other s",
              "peak RSS MB", "rows/s", "ref s", "pipeline/ref", "check"]
    lines = []
    for r in report.rows:
        other = r.measured.wall_s - r.load_s - r.transform_s
        ratio = r.measured.wall_s / r.ref_s if r.ref_s else None
        lines.append([r.scenario, r.layout, str(r.department_years), str(r.rows_loaded), fmt(r.measured.wall_s),
                      fmt(r.load_s), fmt(r.transform_s), fmt(other), fmt(r.measured.peak_rss_mb, 0),
                      fmt(r.rows_per_s, 0), fmt(r.ref_s, 2), fmt(ratio), r.check])
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    print("\n" + "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for line in lines:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
    print("other s = wall - load - transform: interpreter and Dagster start-up. Every refresh is timed warm: an "
          "untimed `cli prepare` before it\nparses the dbt project when the scenario's environment differs from the "
          "last parse's (each scenario has its own working database)."
          "\nrows/s = raw rows loaded (meta.source_files; for an incremental run, the reloaded year's) / wall s."
          "\nref s = bench/reference.sql on the same raw folder (DuckDB, in-memory, reading the CSV files).")


def summary_line(report: Report) -> str:
    """Issue 14's targets: the fixed cost (empty_s), what grows with the data at 100,000 department-years
    against plain DuckDB (ratio_growing_100k), and what one department's change costs beyond the fixed cost."""
    def wall(name: str) -> float | None:
        row = report.row(name)
        return row.measured.wall_s if row else None

    empty, full_100k, incr = wall("empty"), wall("full_100k_consolidated"), wall("incr_dept_100k")
    huge = report.row("full_100k_consolidated")
    ref_100k = huge.ref_s if huge else None
    ratio = (full_100k - empty) / ref_100k if full_100k and empty is not None and ref_100k else None
    over = incr - empty if incr is not None and empty is not None else None
    peak = max((r.measured.peak_rss_mb for r in report.rows if "100k" in r.scenario), default=None)
    timings = [t for ts in report.query_ms.values() for t in ts]
    p95 = percentile(timings, 95) if timings else None
    return (f"empty_s={fmt(empty)} full_10k_s={fmt(wall('full_10k_consolidated'))} full_100k_s={fmt(full_100k)} "
            f"ref_100k_s={fmt(ref_100k, 2)} ratio_growing_100k={fmt(ratio)} incr_dept_100k_s={fmt(incr)} "
            f"incr_over_empty_s={fmt(over)} peak_rss_mb={fmt(peak, 0)} query_p95_ms={fmt(p95, 2)} "
            f"make_run_s={fmt(wall('make_run'))} empty_forced_s={fmt(wall('empty_forced'))}")


# ---------------------------------------------------------------------------------------------------------------
# The standard benchmark


def benchmark(workdir: Path, quick: bool, regenerate: bool) -> int:
    large, huge = scales(quick)
    report = Report()
    started = time.perf_counter()
    print(f"warehouse benchmark{' (--quick)' if quick else ''}: workdir {workdir}, python {PYTHON}, "
          f"{os.cpu_count()} cores")
    if quick:
        print(f"  --quick: '10k' = {large.department_years}, '100k' = {huge.department_years} department-years")
    empty_scenario(report, workdir)
    make_run_scenario(report, workdir)
    consolidated = full_scenario(report, workdir, large, CONSOLIDATED, regenerate)
    per_department = full_scenario(report, workdir, large, PER_DEPARTMENT, regenerate)
    add_next_year(report, consolidated, workdir, large, regenerate)
    change_department(report, consolidated, large, CONSOLIDATED, "incr_dept")
    check = print_comparison("after incr_year + incr_dept", run_reference(consolidated, "incremental"), report)
    report.rows[-1].check += f"; {check}"
    change_department(report, per_department, large, PER_DEPARTMENT, "incr_dept_perdept")
    check = print_comparison("per-department after incr_dept", run_reference(per_department, "incremental"), report)
    report.rows[-1].check += f"; {check}"
    shutil.rmtree(per_department.root, ignore_errors=True)  # room for the 100k scenario (/tmp may be in memory)
    biggest = full_scenario(report, workdir, huge, CONSOLIDATED, regenerate)
    time_queries(biggest, report)
    change_department(report, biggest, huge, CONSOLIDATED, "incr_dept_100k")
    check = print_comparison("100k after incr_dept", run_reference(biggest, "incremental"), report)
    report.rows[-1].check += f"; {check}"
    print_table(report)
    print(f"\nbenchmark wall time {time.perf_counter() - started:.0f} s (demo data generated: "
          f"{sum(GENERATED.values()):.0f} s of it, not counted in any figure)")
    if report.failures:
        print("\nFAIL: " + "\nFAIL: ".join(report.failures))
    print(summary_line(report))
    return 1 if report.failures else 0


def empty_scenario(report: Report, workdir: Path) -> None:
    """The fixed cost: a warm refresh of an empty raw folder (a first, untimed refresh creates the working
    database and the instance; the timed one runs as a nightly refresh with nothing to load would)."""
    print("\n== empty: a refresh of an empty raw folder, warm")
    warehouse = Warehouse(workdir / "runs" / "empty")
    warehouse.reset()
    warehouse.raw.mkdir()
    refresh_or_die(warehouse, "first")
    measured = refresh_or_die(warehouse, "empty")
    row = Row("empty", "-", 0, measured, 0, step_times(measured.output()))
    print(f"  refresh {measured.wall_s:.1f} s; peak RSS {measured.peak_rss_mb:.0f} MB")
    report.rows.append(row)
    # The same refresh made to run every step (no year kept as loaded, no stop when nothing changed,
    # orchestration/up_to_date.py): the fixed cost of a refresh that has work to do.
    measured = refresh_or_die(warehouse, "empty-forced", extra_env={"WAREHOUSE_RELOAD_UNCHANGED": "1"})
    report.rows.append(Row("empty_forced", "-", 0, measured, 0, step_times(measured.output())))
    print(f"  forced: refresh {measured.wall_s:.1f} s; peak RSS {measured.peak_rss_mb:.0f} MB")


def make_run_scenario(report: Report, workdir: Path) -> None:
    """`make run` on the bundled data (data/raw as shipped), warm: in folders of its own under the workdir,
    so that the checkout's data/work and data/marts are left alone; a first, untimed run builds them."""
    print("\n== make_run: `make run` on the bundled data, warm")
    warehouse = Warehouse(workdir / "runs" / "make-run")
    warehouse.reset()
    shutil.copytree(PROJECT / "data" / "raw", warehouse.raw)
    env = warehouse.env()
    env.pop("WAREHOUSE_FIRST_FISCAL_YEAR")  # the project's own partitions, as `make run` has them
    for name in ("first", "make-run"):
        measured = run_measured(["make", "--no-print-directory", "run"], env, warehouse.root / "logs" / f"{name}.log")
        if measured.returncode != 0:
            raise SystemExit(f"FAIL: make run exited with {measured.returncode}; log {measured.log}:\n"
                             f"{tail(measured.output())}")
    row = Row("make_run", "bundled", len(warehouse.query("select 1 from marts.self_evaluation group by "
                                                          "department_code, fiscal_year")),
              measured, warehouse.rows_loaded(), step_times(measured.output()))
    print(f"  make run {measured.wall_s:.1f} s; peak RSS {measured.peak_rss_mb:.0f} MB")
    report.rows.append(row)


# ---------------------------------------------------------------------------------------------------------------
# --profile


STEP_EVENTS_SCRIPT = """
import json
from dagster import DagsterEventType, DagsterInstance
instance = DagsterInstance.get()
steps, nodes = [], {}
for run in reversed(instance.get_runs()):
    started = {}
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.STEP_START:
            started[entry.step_key] = entry.timestamp
        elif event.event_type in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
            steps.append([run.job_name, run.tags.get("dagster/partition") or "", entry.step_key,
                          entry.timestamp - started.get(entry.step_key, entry.timestamp)])
        elif event.event_type in (DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_CHECK_EVALUATION):
            if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
                name = event.asset_key.to_user_string()
                metadata = event.step_materialization_data.materialization.metadata
            else:
                data = event.event_specific_data
                name = f"{data.asset_key.to_user_string()} check {data.check_name}"
                metadata = data.metadata
            duration = metadata.get("Execution Duration")
            if duration is not None:  # one event per partition of a run, all with the node's one duration
                nodes[(run.run_id, name)] = [name, float(duration.value)]
print(json.dumps({"steps": steps, "nodes": list(nodes.values())}))
"""


def timed(cmd: Sequence[str], env: dict[str, str], log: Path, label: str) -> Measured:
    measured = run_measured(cmd, env, log)
    status = "" if measured.returncode == 0 else f"  (exit {measured.returncode}: {last_error(measured.output())})"
    print(f"  {label:<52} {measured.wall_s:7.1f} s  peak RSS {measured.peak_rss_mb:6.0f} MB{status}")
    return measured


def last_error(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if "Error" in ln or "failed" in ln]
    return (lines[-1] if lines else tail(output, 1))[:200]


def print_steps(warehouse: Warehouse) -> None:
    result = subprocess.run([PYTHON, "-c", STEP_EVENTS_SCRIPT], env=warehouse.env(), cwd=PROJECT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        print(f"  (could not read the Dagster event log: {tail(result.stderr, 3)})")
        return
    data = json.loads(result.stdout.strip().splitlines()[-1])
    print("\n  Dagster steps (event log, STEP_START to STEP_SUCCESS):")
    for job, partition, step, seconds in data["steps"]:
        print(f"    {job:<22} {partition:<6} {step:<32} {seconds:8.1f} s")
    nodes = sorted(data["nodes"], key=lambda n: -n[1])
    total = sum(n[1] for n in nodes)
    print(f"\n  dbt nodes: {len(nodes)}, summed execution {total:.1f} s (4 dbt threads on {os.cpu_count()} cores); "
          "slowest 12:")
    for name, seconds in nodes[:12]:
        print(f"    {name[:100]:<100} {seconds:7.2f} s")


def profile(workdir: Path, quick: bool, regenerate: bool) -> int:
    large, _ = scales(quick)
    root = workdir / "profile"
    print(f"warehouse profile{' (--quick)' if quick else ''}: workdir {root}")
    print("\n== fixed overhead")
    empty = Warehouse(root / "empty")
    empty.reset()
    empty.raw.mkdir()
    env = empty.env()
    for i in range(3):
        timed([PYTHON, "-c", "import orchestration.definitions"], env, root / "logs" / f"import-{i}.log",
              f"python -c 'import orchestration.definitions' (#{i + 1})")
    for i in range(2):
        timed([DBT, "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)],
              env, root / "logs" / f"dbt-parse-{i}.log", f"dbt parse (#{i + 1})")
    empty.prepare("run")  # untimed, as before every timed refresh: the dbt parse is timed above
    timed([PYTHON, "-m", "orchestration.cli", "run"], env, empty.root / "logs" / "run.log",
          "refresh, EMPTY raw folder")
    (empty.raw / str(FIRST_YEAR)).mkdir()
    timed([PYTHON, "-m", "orchestration.cli", "run"], env, empty.root / "logs" / "run-empty-year.log",
          f"refresh, one EMPTY year folder ({FIRST_YEAR}/)")
    minimal = Warehouse(root / "one")
    minimal.reset()
    link_tree(generate(workdir / "cache" / f"{CONSOLIDATED}-1x{FIRST_YEAR}-{FIRST_YEAR}", 1, FIRST_YEAR, FIRST_YEAR,
                       CONSOLIDATED, regenerate), minimal.raw)
    minimal.prepare("run")
    small = timed([PYTHON, "-m", "orchestration.cli", "run"], minimal.env(), minimal.root / "logs" / "run.log",
                  "refresh, ONE department-year")
    print_cli_steps(small)

    print(f"\n== full refresh, {large.department_years} department-years, consolidated layout")
    first, last = large.year_range
    full = Warehouse(root / "full")
    full.reset()
    link_tree(generate(workdir / "cache" / f"{CONSOLIDATED}-{large.departments}x{first}-{last}", large.departments,
                       first, last, CONSOLIDATED, regenerate), full.raw)
    full.prepare("run")
    measured = timed([PYTHON, "-m", "orchestration.cli", "run"], full.env(), full.root / "logs" / "run.log",
                     f"refresh, {large.department_years} department-years")
    if measured.returncode != 0:
        print(tail(measured.output()))
        return 1
    print_cli_steps(measured)
    print_steps(full)
    print_split(small, measured, large.years)
    return 0


def print_split(small: Measured, full: Measured, years: int) -> None:
    """Fixed overhead (what a refresh of one department-year costs) against the work that grows with the data.

    All fiscal years load in one Dagster run, so the fixed cost is paid once per refresh, not per year."""
    if small.returncode != 0:
        print("\n  (no fixed-overhead baseline: the one department-year refresh failed)")
        return
    grows = full.wall_s - small.wall_s
    print(f"\n  fixed per refresh (a warm refresh of one department-year: start-up, one load run, dbt build, "
          f"scoring, publishing): {small.wall_s:.1f} s"
          f"\n  full refresh {full.wall_s:.1f} s = {small.wall_s:.1f} fixed + {grows:.1f} s that grows with the data "
          f"(estimate)")


def print_cli_steps(measured: Measured) -> None:
    steps = step_times(measured.output())
    if steps:
        listed = ", ".join(f"{k} {v:.1f} s" for k, v in steps.items())
        rest = measured.wall_s - sum(steps.values())
        print(f"    cli jobs: {listed}; outside the jobs (start-up, definitions) {rest:.1f} s")


# ---------------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/run_bench.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 and 200 department-years (smoke run)")
    parser.add_argument("--profile", action="store_true", help="fixed overhead and per-step times of the 10k refresh")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help=f"scratch folder ({DEFAULT_WORKDIR})")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the cached demo data")
    parser.add_argument("--reference-child", nargs=3, metavar=("RAW", "PUBLISHED", "JSON"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.reference_child:
        raw, published, out = (Path(p) for p in args.reference_child)
        return reference_child(raw, published, out)
    workdir = args.workdir.resolve()
    run: Callable[[Path, bool, bool], int] = profile if args.profile else benchmark
    return run(workdir, args.quick, args.regenerate)


if __name__ == "__main__":
    sys.exit(main())
