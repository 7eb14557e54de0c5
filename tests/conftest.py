"""Shared fixtures: isolated warehouse folders, a Dagster instance, and one seed warehouse built
through the real Dagster jobs and dbt for the figure tests."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import PROJECT_ROOT
from orchestration.dbt_manifest import prepare_manifest

CHECKOUT_RAW = PROJECT_ROOT / "data" / "raw"
SEED_DIR = CHECKOUT_RAW / "2017" / "WH-DHZB"


def _bundled_files() -> list[str]:
    """The files data/raw ships with (git's list, so that a user's own file in the checkout never
    changes what the tests load; every file when the project is no git checkout)."""
    listed = subprocess.run(["git", "ls-files", "-z", "data/raw"], cwd=PROJECT_ROOT, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        return sorted(name.removeprefix("data/raw/") for name in listed.stdout.decode().split("\0") if name)
    return sorted(str(p.relative_to(CHECKOUT_RAW)) for p in CHECKOUT_RAW.rglob("*") if p.is_file())


def _copy_bundled() -> Path:
    """A copy of the bundled raw data, made once per session."""
    target = Path(tempfile.mkdtemp(prefix="bundled-raw-")) / "raw"
    atexit.register(shutil.rmtree, target.parent, True)
    for name in _bundled_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CHECKOUT_RAW / name, target / name)
    return target


BUNDLED_RAW = _copy_bundled()
ENV_KEYS = (
    "WAREHOUSE_RAW_DIR", "WAREHOUSE_WORK_DB", "WAREHOUSE_PUBLISH_DIR", "WAREHOUSE_RULE_SETS_DIR", "DAGSTER_HOME",
    "WAREHOUSE_XLSX_MAX_ROWS",
)


def pytest_configure(config: pytest.Config) -> None:
    # The Dagster definitions read dbt's manifest at import: make it match the models first.
    prepare_manifest()


# The files that take longest (each runs several whole refreshes), longest first: collected before the others,
# so that `make test`'s two processes (--dist loadfile hands out files in collection order) start them first
# and the short files fill in around them, instead of one long file running alone at the end.
SLOW_FILES = ("test_reliability.py", "test_make_run.py", "test_data_quality.py", "test_scores_pipeline.py",
              "test_incremental.py", "test_bad_inputs.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FILES)))  # stable: the rest keep their order


class Warehouse:
    """An isolated warehouse: its own raw folder, working database, published folder and instance."""

    def __init__(self, root: Path):
        self.root = root
        self.raw_dir = root / "raw"
        self.work_db = root / "work" / "build.duckdb"
        self.publish_dir = root / "marts"
        self.dagster_home = root / "dagster_home"
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        # The Excel workbooks cost about 1.5 s a publication: written only by the warehouses whose tests read
        # them (the bundled one; `make run` in tests/test_make_run.py). Elsewhere xlsx/ holds just its note.
        self.xlsx_max_rows: str | None = "0"

    @property
    def published_db(self) -> Path:
        return self.publish_dir / "warehouse.duckdb"

    def env(self) -> dict[str, str]:
        env = {
            "WAREHOUSE_RAW_DIR": str(self.raw_dir),
            "WAREHOUSE_WORK_DB": str(self.work_db),
            "WAREHOUSE_PUBLISH_DIR": str(self.publish_dir),
            "DAGSTER_HOME": str(self.dagster_home),
        }
        return env | ({"WAREHOUSE_XLSX_MAX_ROWS": self.xlsx_max_rows} if self.xlsx_max_rows is not None else {})

    def clone_from(self, source: Warehouse) -> None:
        """Start as a copy of another (built) warehouse: its raw files, working database, publication and
        Dagster instance, so that a test pays for no refresh of its own before the one it is about."""
        shutil.copytree(source.raw_dir, self.raw_dir)
        shutil.copytree(source.work_db.parent, self.work_db.parent)
        shutil.copytree(source.publish_dir, self.publish_dir, symlinks=True)
        shutil.copytree(source.dagster_home, self.dagster_home, dirs_exist_ok=True)

    def copy_seed(self) -> None:
        shutil.copytree(SEED_DIR, self.raw_dir / "2017" / "WH-DHZB")

    def refresh(self, years: list[int] | None = None) -> dict:
        from dagster import DagsterInstance

        from orchestration.cli import refresh

        with DagsterInstance.from_config(str(self.dagster_home)) as instance:
            return refresh(instance, years)

    def query(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.published_db), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()


def _activate(wh: Warehouse) -> dict[str, str | None]:
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    os.environ.pop("WAREHOUSE_XLSX_MAX_ROWS", None)
    os.environ.update(wh.env())
    return saved


def _restore(saved: dict[str, str | None]) -> None:
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def warehouse(tmp_path: Path) -> Iterator[Warehouse]:
    """An empty isolated warehouse, active (environment set) for the test's duration."""
    wh = Warehouse(tmp_path / "warehouse")
    saved = _activate(wh)
    try:
        yield wh
    finally:
        _restore(saved)


@pytest.fixture(scope="session")
def seed_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The seed department's 2017 report, loaded, transformed and published once per session."""
    wh = Warehouse(tmp_path_factory.mktemp("seed") / "warehouse")
    wh.copy_seed()
    saved = _activate(wh)
    try:
        wh.refresh()
    finally:
        _restore(saved)
    yield wh


@pytest.fixture(scope="session")
def bundled_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The bundled data of `make run` (the seed and the demo departments), built once per session."""
    wh = Warehouse(tmp_path_factory.mktemp("bundled") / "warehouse")
    wh.raw_dir = BUNDLED_RAW  # a copy of what data/raw ships with; loading never writes into it
    wh.xlsx_max_rows = None  # every workbook, as `make run` writes them (tests/test_dictionary.py reads them)
    saved = _activate(wh)
    try:
        wh.refresh()
    finally:
        _restore(saved)
    yield wh
