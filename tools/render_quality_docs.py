"""Writes docs/data-quality.md: every figure-reconciliation check with its description and the SQL that
reproduces it against the working database (data/work/build.duckdb): the checks read the staging and
intermediate models the marts are built from, which only the working database holds.

    python -m tools.render_quality_docs           # rewrite it
    python -m tools.render_quality_docs --check   # exit 1 if it is out of date

The SQL is each check model compiled by dbt, with its references written as schema.table (no database name).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from orchestration.contract import PROJECT_ROOT
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR

DOC_PATH = PROJECT_ROOT / "docs" / "data-quality.md"
QUALITY_YAML = DBT_PROJECT_DIR / "models" / "quality" / "_quality.yml"
RELATION = re.compile(r'"[^"]+"\."(\w+)"\."(\w+)"')

INTRO = """# Data quality

Every refresh checks the raw files and the figures, and publishes what it finds in
`marts.data_quality_findings` (one row per finding: check, severity, department-year and the
department's name, source file, row and column, the stated and the computed value as written and, where
they are plain numbers, as decimals in `stated_number` and `computed_number`, and a message in Chinese
and English), and as a page, `data/marts/data_quality_report.html`, with filters (real / synthetic,
department, year, severity, check) and a link to the dashboard. Figure findings never block
publishing: they are part of what analysts receive.

## Where each kind of check lives
- **Raw-file contract** (Great Expectations, `expectations/<kind>.json`, generated from
  `contract/raw_contract.yaml`): required columns and values, types, allowed codes and units, value
  ranges, unique keys, the fiscal year of the folder. Run by the raw load: the suite, compiled to
  one DuckDB SQL pass, screens every row; Great Expectations validates the rows of the (file,
  department) slices the screen flags and names their violations (on those slices GX finds exactly
  what it finds on every row: `tests/unit/test_contract_validation.py`).
  Shown as the `contract` asset check of each `raw/<kind>` asset. A file that breaks the contract
  is **quarantined**: its rows are not loaded (in a consolidated file, only the offending
  department's rows), its previous good version stays, and every violation is a finding
  (`contract:<expectation>`, severity error) naming file, row and column.
- **Model integrity** (dbt tests, `dbt_project/`): one `integrity` test per model
  (`dbt_project/tests/generic/integrity.sql`) with its rules: a unique key, not-null columns, every mart
  row's source file and row (`lineage`), references between marts, accepted values; each failing row
  names its rule. Shown as one asset check of each dbt asset. The check views below are tested where
  their rows are published, in `marts.data_quality_findings`. A failing test stops the refresh before
  publishing.
- **Figure reconciliation** (dbt models in `dbt_project/models/quality/`, below): general rules over
  the staging and intermediate models the marts are built from (never over a mart: their findings are
  published as one), none written for one particular report. Thresholds are dbt vars in
  `dbt_project/dbt_project.yml` and seeds in `dbt_project/seeds/` (the file kinds every department-year
  must submit: `required_file_kinds`, written from the raw data contract).

Severity: **error** - two stated figures cannot both be right, or a file was quarantined;
**warning** - implausible, or over a standard; **info** - a note for the reader.

## The figure checks
Each SQL below runs as it is against the working database, which holds the staging and intermediate
models the checks read (`data/work/build.duckdb`; open it read-only, with the duckdb Python package of
the project's environment, while no refresh runs), and returns that check's findings.
"""


def compiled_checks() -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "WAREHOUSE_WORK_DB": str(Path(tmp) / "compile.duckdb")}
        subprocess.run(
            [str(DBT_EXECUTABLE), "compile", "--quiet", "--select", "path:models/quality",
             "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
             "--target-path", str(Path(tmp) / "target")],
            check=True, env=env, capture_output=True,
        )
        folder = Path(tmp) / "target" / "compiled" / "budget_performance" / "models" / "quality"
        return {p.stem: p.read_text(encoding="utf-8") for p in folder.glob("*.sql")}


def runnable_sql(sql: str) -> str:
    return "\n".join(line.rstrip() for line in RELATION.sub(r"\1.\2", sql).strip().splitlines())


def render() -> str:
    checks = yaml.safe_load(QUALITY_YAML.read_text(encoding="utf-8"))["models"]
    compiled = compiled_checks()
    out = [INTRO]
    for check in checks:
        meta = check["config"]["meta"]
        out += [f"### `{meta['check_name']}` ({meta['label_zh']}; {meta['severity']})", "",
                check["description"], "", f"Model: `dbt_project/models/quality/{check['name']}.sql`", "",
                "```sql", runnable_sql(compiled[check["name"]]), "```", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
        if current != text:
            print("out of date: docs/data-quality.md (run python -m tools.render_quality_docs)")
            return 1
        return 0
    DOC_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {DOC_PATH.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
