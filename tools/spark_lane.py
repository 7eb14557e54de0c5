"""The Spark lane (`make test-spark`, run by .ci/run after `make test`): the dbt project built and tested on
Spark from the bundled data and compared with the DuckDB build, mart by mart.

1. The warehouse is refreshed on a copy of data/raw with DuckDB, as `make run` does, in folders of its own.
2. The sources dbt reads are exported from its working database as Parquet (orchestration/spark_export.py).
3. dbt seeds and builds every model (and runs its tests) on Spark, with the `spark` target of
   dbt_project/profiles.yml, from the Spark environment (`--dbt`, default .venv-spark/bin/dbt).
4. Every mart of the DuckDB build is compared with Spark's by value (compare_marts): the same rows, each
   column read at DuckDB's type; a column missing, or a decimal of another scale, is a difference too.

`python -m tools.spark_lane [--workdir DIR] [--dbt PATH]` prints each step's time and every difference,
and exits 1 on any. The lint of Spark-breaking syntax is tools/spark_lint.py.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.contract import PROJECT_ROOT
from orchestration.spark_export import export_sources

DBT_PROJECT = PROJECT_ROOT / "dbt_project"
DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")


@dataclass(frozen=True)
class MartDifference:
    mart: str
    what: str

    def __str__(self) -> str:
        return f"{self.mart}: {self.what}"


def _scale(data_type: str) -> int | None:
    match = DECIMAL.fullmatch(data_type)
    return int(match.group(2)) if match else None


def compare_marts(work_db: Path, spark_marts: Path, samples: int = 3) -> list[MartDifference]:
    """The differences between the marts of the DuckDB working database (schema marts) and the Parquet
    folders of the Spark build (`<spark_marts>/<mart>/`): missing marts or columns, decimals of another
    scale, and rows in one and not the other (EXCEPT ALL both ways, Spark's values cast to DuckDB's types)."""
    con = duckdb.connect()
    con.execute(f"attach '{work_db}' as w (read_only)")
    marts = [r[0] for r in con.execute(
        "select table_name from duckdb_tables() where database_name = 'w' and schema_name = 'marts' order by 1"
    ).fetchall()]
    differences: list[MartDifference] = []
    for mart in marts:
        folder = spark_marts / mart
        files = sorted(folder.glob("*.parquet"))
        if not files:
            differences.append(MartDifference(mart, f"no Parquet files in {folder}"))
            continue
        spark = f"read_parquet({[str(f) for f in files]})"
        duck_types = [(r[0], r[1]) for r in con.execute(f'describe w.marts."{mart}"').fetchall()]
        spark_types = {r[0]: r[1] for r in con.execute(f"describe select * from {spark}").fetchall()}
        for column, data_type in duck_types:
            if column not in spark_types:
                differences.append(MartDifference(mart, f"column {column} missing on Spark"))
            elif _scale(data_type) != _scale(spark_types[column]):
                differences.append(MartDifference(
                    mart, f"column {column}: {data_type} on DuckDB, {spark_types[column]} on Spark"))
        for column in spark_types.keys() - {c for c, _ in duck_types}:
            differences.append(MartDifference(mart, f"column {column} only on Spark"))
        shared = [(c, t) for c, t in duck_types if c in spark_types]
        duck_select = ", ".join(f'"{c}"' for c, _ in shared)
        spark_select = ", ".join(f'cast("{c}" as {t}) as "{c}"' for c, t in shared)
        duck_rows = f'select {duck_select} from w.marts."{mart}"'
        spark_rows = f"select {spark_select} from {spark}"
        for label, first, second in (("only on DuckDB", duck_rows, spark_rows),
                                     ("only on Spark", spark_rows, duck_rows)):
            rows = con.execute(f"select * from ({first} except all {second}) limit {samples + 1}").fetchall()
            if rows:
                count = con.execute(f"select count(*) from ({first} except all {second})").fetchone()[0]
                shown = "; ".join(str(r)[:300] for r in rows[:samples])
                differences.append(MartDifference(mart, f"{count} row(s) {label}, e.g. {shown}"))
    return differences


def _run(cmd: list[str], env: dict[str, str], cwd: Path, label: str) -> None:
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    print(f"  {label}: {time.perf_counter() - started:.1f} s")
    if result.returncode != 0:
        sys.stdout.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"{label} failed (exit {result.returncode})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.spark_lane", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / "data" / "work" / "spark-lane")
    parser.add_argument("--dbt", type=Path, default=PROJECT_ROOT / ".venv-spark" / "bin" / "dbt")
    args = parser.parse_args(argv)
    root = args.workdir.resolve()
    dbt_executable = args.dbt.absolute()  # dbt runs in the lane's folder, where a relative path is not found
    shutil.rmtree(root, ignore_errors=True)
    (root / "dagster_home").mkdir(parents=True)
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    shutil.copytree(PROJECT_ROOT / "data" / "raw", root / "raw")
    work_db = root / "work" / "build.duckdb"
    env = dict(os.environ) | {
        "WAREHOUSE_RAW_DIR": str(root / "raw"), "WAREHOUSE_WORK_DB": str(work_db),
        "WAREHOUSE_PUBLISH_DIR": str(root / "marts"), "DAGSTER_HOME": str(root / "dagster_home"),
        "WAREHOUSE_SPARK_RAW": str(root / "spark-raw"), "WAREHOUSE_SPARK_WAREHOUSE": str(root / "spark" / "warehouse"),
        "SPARK_LOCAL_IP": "127.0.0.1", "DBT_TARGET_PATH": str(root / "spark" / "target"),
        "DBT_LOG_PATH": str(root / "spark" / "logs"),
    }
    print(f"Spark lane in {root}")
    _run([sys.executable, "-m", "orchestration.cli", "run"], env, PROJECT_ROOT, "DuckDB refresh of the bundled data")
    with duckdb.connect(str(work_db), read_only=True) as con:
        started = time.perf_counter()
        counts = export_sources(con, root / "spark-raw")
        print(f"  sources exported as Parquet ({len(counts)} tables): {time.perf_counter() - started:.1f} s")
    (root / "spark").mkdir(exist_ok=True)  # Spark's metastore (metastore_db) is written in the working folder
    dbt = [str(dbt_executable), "--no-use-colors"]
    project = ["--project-dir", str(DBT_PROJECT), "--profiles-dir", str(DBT_PROJECT), "--target", "spark"]
    _run([*dbt, "seed", *project], env, root / "spark", "dbt seed on Spark")
    _run([*dbt, "build", "--exclude", "resource_type:seed", *project], env, root / "spark", "dbt build on Spark")
    differences = compare_marts(work_db, root / "spark" / "warehouse" / "marts.db")
    for difference in differences:
        print(f"  DIFFERENCE {difference}")
    print("  every mart equal" if not differences else f"  {len(differences)} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
