"""Named points of a refresh where a test can stop the process, to kill it there (tests/pipeline/test_reliability.py).

With WAREHOUSE_PAUSE_AT set to a point's name, the process writes the file named by
WAREHOUSE_PAUSE_MARKER when it gets there and then sleeps until it is killed. Unset (always, outside
the tests), `reached` does nothing.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_AT_ENV = "WAREHOUSE_PAUSE_AT"
PAUSE_MARKER_ENV = "WAREHOUSE_PAUSE_MARKER"

WORK_DB_WRITTEN = "work_db_written"  # the raw load wrote the working database, before it closes
DBT_RUNNING = "dbt_running"  # dbt build reported its first node and goes on
PUBLICATION_BUILT = "publication_built"  # new DuckDB file, Parquet and report written; nothing swapped
BETWEEN_SWAPS = "between_swaps"  # the new DuckDB file swapped in, the `parquet` link not yet


def reached(name: str) -> None:
    if os.environ.get(PAUSE_AT_ENV) != name:
        return
    marker = os.environ.get(PAUSE_MARKER_ENV)
    if marker:
        Path(marker).write_text(f"{name} {os.getpid()}\n", encoding="utf-8")
    while True:
        time.sleep(60)
