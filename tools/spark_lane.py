"""The Spark lane (`make test-spark`, run by .ci/run after `make test`): the warehouse refreshed twice from the
bundled data, once with dbt on DuckDB and once with dbt on Spark, and the two publications compared.

1. `orchestration.cli run` on a copy of data/raw, as `make run` does, in a folder of its own.
2. At the same time, the same with `WAREHOUSE_DBT_TARGET=spark` (orchestration/spark_target.py): Dagster
   loads the raw files, exports the sources as Parquet, builds every seed and model and runs every dbt test
   on Spark (from `--dbt`, default .venv-spark/bin/dbt), copies Spark's marts and seeds into its working
   database and publishes them.
3. The published DuckDB files and Parquet folders are compared (compare_publications): every table and
   file of one is in the other, with the same columns of the same types and the same rows. What says
   when and by which run a publication was made (RUN_COLUMNS) is left out.
4. The comparison is shown to catch an engine difference (break_on_spark_only): a copy of the project
   whose department_score_trends ranks years with a NULL score too, without saying where NULLs go, is
   built on both engines. DuckDB (NULLs last) gives the mart it published; Spark (NULLs first when
   ascending) gives other worst years, and the comparison must report them.

`python -m tools.spark_lane [--workdir DIR] [--dbt PATH]` prints each step's time and every difference, and
exits 1 on any. The lint of Spark-breaking syntax is tools/spark_lint.py.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.contract import PROJECT_ROOT
from orchestration.settings import DBT_EXECUTABLE
from orchestration.spark_target import SparkFolders
from orchestration.sql import sql_text

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
SCHEMAS = ("marts", "reference", "meta")
# When and by which run a publication was made, and its file's size: not what was built.
RUN_COLUMNS = frozenset({"published_at", "run_id", "publication_id", "parquet_folder", "whole_bytes", "_loaded_at"})
# The engine difference break_on_spark_only injects: the ranks read every year of a department and rule set
# with a score, the years without one too, and the worst year's ORDER BY no longer says where NULLs go.
FAULT_MODEL = "department_score_trends"
FAULT_EDITS = (
    ("from series\n),\nratings", "from scores\n    where exists (select 1 from series as s where s.entity_code = "
     "scores.entity_code and s.rule_set = scores.rule_set)\n),\nratings"),
    ("order by total_score asc nulls last", "order by total_score asc"),
)


@dataclass(frozen=True)
class Difference:
    table: str
    what: str

    def __str__(self) -> str:
        return f"{self.table}: {self.what}"


def compare_relations(con: duckdb.DuckDBPyConnection, table: str, first: str, second: str,
                      labels: tuple[str, str] = ("DuckDB", "Spark"), samples: int = 3) -> list[Difference]:
    """The differences between two relations (SQL, e.g. a table name or read_parquet(...)): a column in one
    only, a column of another type, rows in one and not the other (EXCEPT ALL both ways; RUN_COLUMNS left
    out; a column of another type is read as the first's type)."""
    types = [{r[0]: r[1] for r in con.execute(f"describe select * from {relation}").fetchall()}
             for relation in (first, second)]
    differences = [Difference(table, f"column {column} only on {labels[side]}")
                   for side in (0, 1) for column in types[side] if column not in types[1 - side]]
    shared = [column for column in types[0] if column in types[1]]
    differences += [Difference(table, f"column {column}: {types[0][column]} on {labels[0]}, {types[1][column]} on "
                                      f"{labels[1]}") for column in shared if types[0][column] != types[1][column]]
    compared = [column for column in shared if column not in RUN_COLUMNS]
    columns = ", ".join(f'cast("{column}" as {types[0][column]}) as "{column}"' for column in compared)
    rows = [f"select {columns} from {relation}" for relation in (first, second)]
    for side in (0, 1):
        only = f"({rows[side]} except all {rows[1 - side]})"
        shown = con.execute(f"select * from {only} limit {samples}").fetchall()
        if shown:
            count = con.execute(f"select count(*) from {only}").fetchone()[0]
            example = "; ".join(str(row)[:300] for row in shown)
            differences.append(Difference(table, f"{count} row(s) only on {labels[side]}, e.g. {example}"))
    return differences


def _tables(con: duckdb.DuckDBPyConnection, database: str) -> set[str]:
    return {f"{r[0]}.{r[1]}" for r in con.execute(
        "select schema_name, table_name from duckdb_tables() where database_name = ? and schema_name in "
        f"({', '.join(sql_text(s) for s in SCHEMAS)})", [database]).fetchall()}


def _parquet_files(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*.parquet")}


def compare_publications(first: Path, second: Path, labels: tuple[str, str] = ("DuckDB", "Spark"),
                         samples: int = 3) -> list[Difference]:
    """The differences between two published folders (data/marts as `make run` writes it): the tables of
    their DuckDB files (schemas marts, reference, meta) and their Parquet files, one by one."""
    con = duckdb.connect()
    differences: list[Difference] = []
    for name, folder in zip(("a", "b"), (first, second), strict=True):
        con.execute(f"attach {sql_text(str(folder / 'warehouse.duckdb'))} as {name} (read_only)")
    tables = [_tables(con, "a"), _tables(con, "b")]
    for side in (0, 1):
        differences += [Difference(table, f"table only on {labels[side]}")
                        for table in sorted(tables[side] - tables[1 - side])]
    for table in sorted(tables[0] & tables[1]):
        differences += compare_relations(con, table, f"a.{table}", f"b.{table}", labels, samples)
    files = [_parquet_files(folder / "parquet") for folder in (first, second)]
    for side in (0, 1):
        differences += [Difference(f"parquet/{file}", f"file only on {labels[side]}")
                        for file in sorted(files[side] - files[1 - side])]
    for file in sorted(files[0] & files[1]):
        relations = [f"read_parquet({sql_text(str(folder / 'parquet' / file))}, hive_partitioning = false)"
                     for folder in (first, second)]
        differences += compare_relations(con, f"parquet/{file}", *relations, labels, samples)
    return differences


@dataclass(frozen=True)
class Step:
    label: str
    cmd: list[str]
    env: dict[str, str]
    cwd: Path


def _run_together(*steps: Step) -> None:
    """Run the steps at once (DuckDB's refresh beside Spark's: on 2 cores each leaves the other room) and print
    each one's time; exit naming the first that failed, with its output."""
    started = time.perf_counter()
    running = {step.label: subprocess.Popen(step.cmd, env=step.env, cwd=step.cwd, stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True) for step in steps}
    outputs: dict[str, str] = {}

    def wait(label: str) -> None:
        outputs[label] = running[label].communicate()[0]
        print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)

    threads = [threading.Thread(target=wait, args=(label,)) for label in running]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for label, process in running.items():
        if process.returncode != 0:
            sys.stdout.write(outputs[label][-8000:])
            raise SystemExit(f"{label} failed (exit {process.returncode})")


def _refresh_env(root: Path, raw: Path, **extra: str) -> dict[str, str]:
    (root / "dagster_home").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    return dict(os.environ) | {
        "WAREHOUSE_RAW_DIR": str(raw), "WAREHOUSE_WORK_DB": str(root / "work" / "build.duckdb"),
        "WAREHOUSE_PUBLISH_DIR": str(root / "marts"), "DAGSTER_HOME": str(root / "dagster_home"), **extra}


def faulty_project(target: Path) -> Path:
    """A copy of the dbt project with FAULT_EDITS applied to FAULT_MODEL (each must apply: the lane fails when
    the model no longer reads as they expect)."""
    shutil.copytree(DBT_PROJECT, target, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    model = next(target.glob(f"models/**/{FAULT_MODEL}.sql"))
    text = model.read_text(encoding="utf-8")
    for old, new in FAULT_EDITS:
        if text.count(old) != 1:
            raise SystemExit(f"{model.relative_to(target)} no longer holds {old!r} once: update FAULT_EDITS")
        text = text.replace(old, new)
    model.write_text(text, encoding="utf-8")
    return target


def break_on_spark_only(root: Path, duck_env: dict[str, str], spark_env: dict[str, str], spark_dbt: Path) -> list[str]:
    """FAULT_MODEL built from the faulty project on each engine, beside the lane's builds: what is wrong with the
    comparison if any (DuckDB's build must equal its published mart, Spark's must differ from it)."""
    project = faulty_project(root / "faulty-project")
    args = ["run", "--select", FAULT_MODEL, "--cache-selected-only", "--project-dir", str(project),
            "--profiles-dir", str(project)]
    duck_work = Path(duck_env["WAREHOUSE_WORK_DB"])
    faulty_duck = duck_work.with_name("faulty.duckdb")
    shutil.copy(duck_work, faulty_duck)
    spark_folders = SparkFolders.beside(Path(spark_env["WAREHOUSE_WORK_DB"]))
    _run_together(
        Step(f"{FAULT_MODEL} without NULLS LAST, on Spark", [str(spark_dbt), *args, "--target", "spark"],
             spark_env | spark_folders.environment(), project),
        Step(f"{FAULT_MODEL} without NULLS LAST, on DuckDB",
             [str(DBT_EXECUTABLE), *args, "--target-path", str(project / "target-duckdb"), "--log-path",
              str(project / "logs-duckdb")], duck_env | {"WAREHOUSE_WORK_DB": str(faulty_duck)}, project))
    spark_files = sorted((spark_folders.warehouse / "marts.db" / FAULT_MODEL).glob("*.parquet"))
    published_files = Path(duck_env["WAREHOUSE_PUBLISH_DIR"]) / "parquet" / FAULT_MODEL / "**" / "*.parquet"
    published = f"read_parquet({sql_text(str(published_files))}, hive_partitioning = false)"
    con = duckdb.connect()
    con.execute(f"attach {sql_text(str(faulty_duck))} as faulty (read_only)")
    on_duckdb = compare_relations(con, FAULT_MODEL, published, f"faulty.marts.{FAULT_MODEL}", ("published", "DuckDB"))
    on_spark = compare_relations(con, FAULT_MODEL, published,
                                 f"read_parquet([{', '.join(sql_text(str(f)) for f in spark_files)}])",
                                 ("published", "Spark"))
    problems = [f"DuckDB changed: {d}" for d in on_duckdb]
    if not any("only on Spark" in d.what for d in on_spark):
        problems.append("Spark's build without NULLS LAST was not reported as a difference")
    for difference in on_spark:
        print(f"  caught, as it must be: {difference}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.spark_lane", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "data" / "work" / "spark-lane")
    parser.add_argument("--dbt", type=Path, default=PROJECT_ROOT / ".venv-spark" / "bin" / "dbt")
    args = parser.parse_args(argv)
    root = args.workdir.resolve()
    spark_dbt = args.dbt.absolute()
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(PROJECT_ROOT / "data" / "raw", root / "raw")
    duck_env = _refresh_env(root / "duckdb", root / "raw")
    spark_env = _refresh_env(root / "spark", root / "raw", WAREHOUSE_DBT_TARGET="spark",
                             WAREHOUSE_SPARK_DBT=str(spark_dbt))
    print(f"Spark lane in {root}", flush=True)
    started = time.perf_counter()
    cli = [sys.executable, "-m", "orchestration.cli"]
    # The dbt manifest both refreshes read is parsed once, before they start side by side.
    _run_together(Step("dbt manifest", [*cli, "prepare"], duck_env, PROJECT_ROOT))
    cli.append("run")
    _run_together(Step("refresh of the bundled data, dbt on Spark", cli, spark_env, PROJECT_ROOT),
                  Step("refresh of the bundled data, dbt on DuckDB", cli, duck_env, PROJECT_ROOT))
    differences = compare_publications(root / "duckdb" / "marts", root / "spark" / "marts")
    for difference in differences:
        print(f"  DIFFERENCE {difference}")
    print("  the two publications are equal" if not differences else f"  {len(differences)} difference(s)")
    problems = break_on_spark_only(root, duck_env, spark_env, spark_dbt)
    for problem in problems:
        print(f"  PROBLEM {problem}")
    print(f"Spark lane: {time.perf_counter() - started:.1f} s")
    return 1 if differences or problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
