"""A refresh killed anywhere (SIGKILL to its whole process tree) leaves the published marts whole and
the lock free, and the next refresh clears what it left; a refresh started while another runs exits
at once; readers of the published file never see an error while refreshes swap it (one test, so that
the recovering refresh is also the one the readers and the second refresh run against).

The refreshes run as `python -m orchestration.cli run` in their own process group, on the seed
department only, in a folder whose name holds a quote (paths reach SQL text). The kills in the
publication (the last step) run that step alone, in its own process holding the refresh lock."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from conftest import Warehouse, write_instance_settings

from orchestration import cli, fault_points
from orchestration.assets.publish import MARTS
from orchestration.dbt_manifest import STATE_FOLDER
from orchestration.publication import publication_status, publish_marts
from orchestration.refresh_lock import holder_pid, is_locked
from orchestration.sql import sql_name, sql_text

IN_PROGRESS = ("STARTING", "STARTED", "CANCELING")


class CliWarehouse(Warehouse):
    """A warehouse refreshed by the command line in subprocesses, started from a copy of the seed warehouse."""

    def __init__(self, root: Path, seed: Warehouse) -> None:
        super().__init__(root)
        self.clone_from(seed)
        write_instance_settings(self.dagster_home)
        self.runs = 0
        self.logs: dict[int, Path] = {}

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, **super().env(), **extra}

    def start(self, *args: str, **extra: str) -> subprocess.Popen:
        self.runs += 1
        log = self.root / f"cli-{self.runs}"
        with open(f"{log}.out", "w") as out, open(f"{log}.err", "w") as err:
            process = subprocess.Popen([sys.executable, "-m", "orchestration.cli", *(args or ["run"])],
                                       env=self.env(**extra), start_new_session=True, stdout=out, stderr=err)
        self.logs[process.pid] = log
        return process

    def stdout(self, process: subprocess.Popen) -> str:
        return Path(f"{self.logs[process.pid]}.out").read_text(encoding="utf-8")

    def stderr(self, process: subprocess.Popen) -> str:
        return Path(f"{self.logs[process.pid]}.err").read_text(encoding="utf-8")

    def run(self, *args: str, timeout: float = 180) -> tuple[int, str, str]:
        """Exit status, stdout and stderr of a command line run to its end."""
        process = self.start(*args)
        return process.wait(timeout=timeout), self.stdout(process), self.stderr(process)

    def kill_at(self, point: str, timeout: float = 180, publication_only: bool = False) -> None:
        """Run a refresh until it reaches the fault point, then SIGKILL its whole process tree. With
        `publication_only`, the process runs the refresh's last step alone, as its Dagster asset does
        (the publication, holding the refresh lock), so that a kill there costs no load and no dbt build."""
        marker = self.root / f"paused-at-{point}"
        pause = {"WAREHOUSE_PAUSE_AT": point, "WAREHOUSE_PAUSE_MARKER": str(marker)}
        if publication_only:
            self.runs += 1
            log = self.root / f"cli-{self.runs}"
            with open(f"{log}.out", "w") as out, open(f"{log}.err", "w") as err:
                process = subprocess.Popen([sys.executable, "-c", PUBLICATION, json.dumps(MARTS)],
                                           env=self.env(**pause), start_new_session=True, stdout=out, stderr=err)
            self.logs[process.pid] = log
        else:
            process = self.start(**pause)
        deadline = time.monotonic() + timeout
        while not marker.exists():
            assert process.poll() is None, f"ended before {point}: {self.stderr(process)}"
            assert time.monotonic() < deadline, f"never reached {point}"
            time.sleep(0.1)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def published_id(self) -> str:
        con = duckdb.connect(str(self.publish_dir / "warehouse.duckdb"), read_only=True)
        try:
            return con.execute("select publication_id from meta.refresh").fetchone()[0]
        finally:
            con.close()

    def runs_in_progress(self) -> list[str]:
        from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

        with DagsterInstance.from_config(str(self.dagster_home)) as instance:
            return [r.run_id for r in instance.get_runs(RunsFilter(
                statuses=[DagsterRunStatus[s] for s in IN_PROGRESS]))]


def marts_differing(published: Path, baseline: Path) -> dict[str, int]:
    """Rows of each mart in one file and not the other (EXCEPT ALL both ways), leaving out what changes
    from run to run: timestamps, run and publication ids."""
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_text(published)} as now (read_only)")
        con.execute(f"attach {sql_text(baseline)} as base (read_only)")
        differing = {}
        for (table,) in con.execute("select table_name from duckdb_tables() where database_name = 'base' "
                                    "and schema_name = 'marts' order by 1").fetchall():
            columns = ", ".join(sql_name(c) for c, t in con.execute(
                "select column_name, data_type from duckdb_columns() where database_name = 'base' "
                "and schema_name = 'marts' and table_name = ? order by column_index", [table]).fetchall()
                if not t.startswith("TIMESTAMP") and c not in ("run_id", "publication_id"))
            a, b = (f"select {columns} from {db}.marts.{sql_name(table)}" for db in ("now", "base"))
            count = con.execute(f"select (select count(*) from ({a} except all {b})) + "
                                f"(select count(*) from ({b} except all {a}))").fetchone()[0]
            if count:
                differing[table] = count
        return differing
    finally:
        con.close()


def assert_whole(wh: CliWarehouse, baseline: Path) -> None:
    """The published file opens and holds the baseline's marts; the lock is free."""
    assert marts_differing(wh.publish_dir / "warehouse.duckdb", baseline) == {}
    assert not is_locked(wh.work_db)


@pytest.fixture
def cli_warehouse(seed_warehouse, tmp_path: Path) -> tuple[CliWarehouse, Path]:
    """A copy of the seed warehouse (the baseline run) and a copy of its published file to compare with."""
    baseline = tmp_path / "baseline.duckdb"
    shutil.copy(seed_warehouse.published_db, baseline)
    return CliWarehouse(tmp_path / "it's a warehouse", seed_warehouse), baseline


# The publication step of a refresh by itself (orchestration/assets/publish.py without Dagster around it).
PUBLICATION = textwrap.dedent("""
    import json, sys
    from orchestration.publication import publish_marts
    from orchestration.refresh_lock import refresh_lock
    from orchestration.settings import warehouse_paths
    paths = warehouse_paths()
    with refresh_lock(paths.work_db):
        publish_marts(paths.work_db, paths.publish_dir, json.loads(sys.argv[1]))
""")

READER = textwrap.dedent("""
    import json, os, sys, time, duckdb
    published, parquet, stop = sys.argv[1:]
    seen, errors, reads = [], [], 0
    while not os.path.exists(stop):
        try:
            con = duckdb.connect(published, read_only=True)
            try:
                publication = con.execute("select publication_id from meta.refresh").fetchone()[0]
                con.execute("select count(*), sum(actual_spend) from marts.project_execution").fetchall()
                con.execute("select count(*) from read_parquet(?)", [parquet]).fetchall()
            finally:
                con.close()
            if publication not in seen:
                seen.append(publication)
            reads += 1
            if reads == 1:
                print("ready", flush=True)
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.1)
    print(json.dumps({"seen": seen, "errors": errors, "reads": reads}), flush=True)
""")


def test_a_refresh_killed_anywhere_leaves_the_marts_whole_and_the_next_one_clears_up(cli_warehouse, capsys) -> None:
    wh, baseline = cli_warehouse
    first = wh.published_id()

    # Killed in the raw load (the working database written, not closed), then in dbt: nothing published.
    for point in (fault_points.WORK_DB_WRITTEN, fault_points.DBT_RUNNING):
        if point == fault_points.DBT_RUNNING:
            # A refresh whose files did not change runs no dbt; without the record of the last build (the
            # manifest saved beside the working database), it rebuilds every model.
            (wh.work_db.parent / STATE_FOLDER / "manifest.json").unlink()
        wh.kill_at(point)
        assert wh.published_id() == first, point
        assert publication_status(wh.publish_dir).agree, point
        assert_whole(wh, baseline)
    assert wh.runs_in_progress(), "the killed runs are still recorded as running"

    # Killed in the publication (the refresh's last step, run alone from here on: the same code, lock and
    # files, without a load and a dbt build before it).
    # Killed with the new file built and nothing swapped: the last publication stays, the build's files stay behind.
    wh.kill_at(fault_points.PUBLICATION_BUILT, publication_only=True)
    assert wh.published_id() == first
    assert publication_status(wh.publish_dir).agree
    assert list(wh.publish_dir.glob(".warehouse.duckdb.building-*"))
    assert_whole(wh, baseline)

    # Killed between the DuckDB swap and the Parquet swap: the new file is whole, and `status` says the
    # Parquet files are another publication.
    wh.kill_at(fault_points.BETWEEN_SWAPS, publication_only=True)
    interrupted = wh.published_id()
    assert interrupted != first
    assert_whole(wh, baseline)
    with pytest.MonkeyPatch.context() as env:  # the command line's `status`, in this process
        env.setattr(os, "environ", wh.env())
        assert cli.main(["status"]) == 1
    assert "DISAGREE" in capsys.readouterr().out

    # The next refresh completes the swap, clears the debris, marks the killed run failed and publishes,
    # while readers query the DuckDB file and the Parquet files in a loop and a second refresh is started.
    stop = wh.root / "stop-readers"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(wh.publish_dir / "warehouse.duckdb"),
                                 str(wh.publish_dir / "parquet" / "project_execution" / "**" / "*.parquet"), str(stop)],
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        for reader in readers:
            assert reader.stdout.readline().strip() == "ready"
        running = wh.start()
        deadline = time.monotonic() + 60
        while holder_pid(wh.work_db) != running.pid or not is_locked(wh.work_db):
            assert running.poll() is None and time.monotonic() < deadline, wh.stderr(running)
            time.sleep(0.05)
        code, _, second = wh.run()
        assert code == 75
        assert second.startswith(f"another refresh is running (pid {running.pid} since ") and \
            second.endswith("; try again when it ends\n") and second.count("\n") == 1, second
        assert "Traceback" not in second
        assert running.wait(timeout=180) == 0, wh.stderr(running)
        stderr = wh.stderr(running)
        refreshed = wh.published_id()
        recovered = json.loads((wh.publish_dir / "parquet" / "_publication.json").read_text(encoding="utf-8"))
        assert recovered["previous"] == f".parquet-{interrupted}", "the interrupted swap was completed first"
        time.sleep(0.5)
        # One more publication: the swap is the only part of a refresh readers can see.
        last = publish_marts(wh.work_db, wh.publish_dir, MARTS).publication_id
        time.sleep(0.5)
    finally:
        stop.touch()
    results = [json.loads(reader.communicate(timeout=30)[0].strip().splitlines()[-1]) for reader in readers]
    for result in results:
        assert result["errors"] == []
        assert result["seen"][0] == interrupted and result["seen"][-1] == last and refreshed in result["seen"], result
    assert "is gone: marked failed" in stderr
    assert wh.runs_in_progress() == []
    status = publication_status(wh.publish_dir)
    assert status.agree and status.database_id == last not in (first, interrupted, refreshed)
    names = {p.name for p in wh.publish_dir.iterdir()}
    assert not [n for n in names if ".building-" in n or ".link-" in n], names
    manifest = json.loads((wh.publish_dir / "parquet" / "_publication.json").read_text(encoding="utf-8"))
    assert {n for n in names if n.startswith(".parquet-")} == {status.link_folder, manifest["previous"]}
    assert manifest["previous"] == f".parquet-{refreshed}"
    assert_whole(wh, baseline)
