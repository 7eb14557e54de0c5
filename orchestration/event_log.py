"""Dagster's SQLite event log with one connection pool per database file.

Dagster's own SqliteEventLogStorage opens a new SQLAlchemy engine and SQLite connection for every write
(NullPool; sqlalchemy/sqlalchemy#7490 describes the cost), and writes each asset event twice (the run's
database and the index). A refresh of one department-year writes about 860 events, so that a seed
refresh spent 2-6 s of its 20 s opening connections (docs/performance.md, "Dagster's event log"). This
class keeps one engine per database file for the life of the process; the files, their layout and their
schema are Dagster's, so `dagster dev`, the daemon and Dagster's own storage read them as before.
SQLite's locking is per file, not per connection: another process (the daemon, the web server) writes
the same files as it did, waiting up to the same busy timeout.

Configured in orchestration/dagster.yaml (copied to $DAGSTER_HOME by `make setup`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine

RUNS_FOLDER = Path("history") / "runs"  # where Dagster's default storage keeps the event log, under DAGSTER_HOME


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: dict[str, Engine] = {}
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> dict:
        return {"dagster_home": Field(StringSource, is_required=False,
                                      description="The instance's folder (default: $DAGSTER_HOME); the event "
                                      "log is its history/runs, as with Dagster's default storage.")}

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None, config_value: dict
                          ) -> PooledSqliteEventLogStorage:
        home = config_value.get("dagster_home") or os.environ.get("DAGSTER_HOME")
        if not home:
            raise ValueError("PooledSqliteEventLogStorage: set DAGSTER_HOME or the storage's dagster_home")
        return cls(str(Path(home) / RUNS_FOLDER), inst_data=inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:
                # SQLAlchemy's default pool for a SQLite file (QueuePool, connections usable across threads).
                engine = create_engine(self.conn_string_for_shard(shard),
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
            with engine.connect() as conn, conn.begin():
                yield conn

    def wipe(self) -> None:  # removes the runs' database files: no connection may keep one open
        for shard in list(self._engines):
            self._dispose(shard)
        super().wipe()

    def dispose(self) -> None:
        for shard in list(self._engines):
            self._dispose(shard)
        super().dispose()

    def _dispose(self, shard: str) -> None:
        with self._db_lock:
            engine = self._engines.pop(shard, None)
        if engine is not None:
            engine.dispose()
