"""The Dagster instance's event log (orchestration/event_log.py): Dagster's SQLite files in
$DAGSTER_HOME/history/runs, written through pooled connections, read and written by other processes as
before."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from orchestration.contract import PROJECT_ROOT

OTHER_PROCESS = textwrap.dedent("""
    import sys
    from dagster import AssetKey, AssetMaterialization, DagsterInstance
    with DagsterInstance.get() as instance:
        seen = instance.get_latest_materialization_event(AssetKey("written_here"))
        print(seen.asset_materialization.metadata["n"].value if seen else None, flush=True)
        instance.report_runless_asset_event(AssetMaterialization("written_there", metadata={"n": 2}))
""")


def test_the_pooled_event_log_is_dagsters_files_shared_with_other_processes(tmp_path: Path, monkeypatch) -> None:
    from dagster import AssetKey, AssetMaterialization, DagsterInstance

    from orchestration.event_log import PooledSqliteEventLogStorage

    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        instance.report_runless_asset_event(AssetMaterialization("written_here", metadata={"n": 1}))
        instance.report_runless_asset_event(AssetMaterialization("written_here", metadata={"n": 3}))
        # Another process, while this one keeps its connections open, reads what was written here and writes.
        other = subprocess.run([sys.executable, "-c", OTHER_PROCESS], env={**os.environ, "DAGSTER_HOME": str(home)},
                               capture_output=True, text=True, timeout=120)
        assert other.returncode == 0, other.stderr[-2000:]
        assert other.stdout.strip() == "3"
        there = instance.get_latest_materialization_event(AssetKey("written_there"))
        assert there is not None and there.asset_materialization.metadata["n"].value == 2
        assert (home / "history" / "runs" / "index.db").exists()  # where Dagster's default storage keeps it
        storage.wipe()
        assert instance.get_latest_materialization_event(AssetKey("written_there")) is None
