"""`make docs`: the data dictionary as one offline HTML page, from dbt's own documentation site.

`dbt docs generate --static` embeds the manifest and the catalog in a single `static_index.html` that opens
from disk (the default site fetches them over HTTP, which a browser refuses for a local file). It covers every
model with its columns' Chinese labels and English descriptions, the tests and the lineage: the score marts
(models/scores/) and the rule-set tables they read (source rule_sets) among them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from orchestration.dbt_manifest import scratch_target
from orchestration.refresh_lock import refresh_lock
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, warehouse_paths

DICTIONARY_NAME = "data_dictionary.html"


def write_data_docs(target: Path | None = None) -> Path:
    """Generate dbt's static documentation page against the working database and copy it to `target`
    (default data/marts/data_dictionary.html). Holds the refresh lock: the catalog reads the database."""
    paths = warehouse_paths()
    target = target or paths.publish_dir / DICTIONARY_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    paths.work_db.parent.mkdir(parents=True, exist_ok=True)
    with refresh_lock(paths.work_db), scratch_target("dbt-docs-") as scratch:
        subprocess.run(
            [str(DBT_EXECUTABLE), "--quiet", "docs", "generate", "--static", "--project-dir", str(DBT_PROJECT_DIR),
             "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", scratch],
            check=True, env={**os.environ, "WAREHOUSE_WORK_DB": str(paths.work_db)})
        partial = target.with_name(f".{target.name}.partial")
        shutil.copyfile(Path(scratch) / "static_index.html", partial)
        os.replace(partial, target)
    return target
