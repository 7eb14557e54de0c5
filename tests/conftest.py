"""Shared fixtures: isolated warehouse folders, a Dagster instance, and warehouses built once per session
through the real Dagster jobs and dbt.

The tests are in three folders, one marker each (pyproject.toml; `pytest -m unit` runs the first kind):

- unit/: no Dagster imported (tests/unit/test_unit_layer.py checks), no dbt run, no warehouse: the raw
  reader and loader, the contract, rule sets and scoring, macros rendered to SQL, templates, demo data;
- integration/: one asset, one job, one dbt selection or one publication, mostly on a copy of a warehouse
  built once per session (`seed_warehouse`, `bundled_warehouse`, copied by `seed_copy`, `bundled_copy`),
  or tests reading such a warehouse;
- pipeline/: the few tests whose subject is a whole refresh (`make run`, an incremental refresh against a
  full rebuild, killed refreshes). A test elsewhere that runs whole refreshes of its own is marked
  `@pytest.mark.pipeline`.

Tests read the checkout's data/raw only through BUNDLED_RAW, a copy of it made once per process.
"""

from __future__ import annotations

import atexit
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.contract import PROJECT_ROOT


def _temporary_root() -> None:
    """The tests' temporary folders (pytest's tmp_path, the copy of data/raw) go to /dev/shm when it is a
    writable tmpfs with room to spare and TMPDIR is not set: a refresh writes a Dagster event log in
    SQLite and DuckDB files, syncing each commit to disk; in memory a refresh of the seed took 40-56 s
    against 88-101 s in /tmp on a loaded 2-core machine. Set TMPDIR to choose another folder. Exported, so
    that pytest-xdist's workers and the tests' subprocesses use it too."""
    shm = Path("/dev/shm")
    if "TMPDIR" in os.environ or not (shm.is_dir() and os.access(shm, os.W_OK)):
        return
    stat = os.statvfs(shm)
    if stat.f_bavail * stat.f_frsize < 4 * 2**30:
        return
    os.environ["TMPDIR"] = str(shm)
    tempfile.tempdir = None  # tempfile.gettempdir() reads TMPDIR again


_temporary_root()
TESTS = Path(__file__).resolve().parent
LEVELS = ("unit", "integration", "pipeline")
CHECKOUT_RAW = PROJECT_ROOT / "data" / "raw"  # read by _copy_bundled only


def _bundled_files() -> list[str]:
    """The files data/raw ships with (git's list, so that a user's own file in the checkout never
    changes what the tests load; every file when the project is no git checkout)."""
    listed = subprocess.run(["git", "ls-files", "-z", "data/raw"], cwd=PROJECT_ROOT, capture_output=True)
    if listed.returncode == 0 and listed.stdout:
        return sorted(name.removeprefix("data/raw/") for name in listed.stdout.decode().split("\0") if name)
    return sorted(str(p.relative_to(CHECKOUT_RAW)) for p in CHECKOUT_RAW.rglob("*") if p.is_file())


def _copy_bundled() -> Path:
    """A copy of the bundled raw data, made once per process."""
    target = Path(tempfile.mkdtemp(prefix="bundled-raw-")) / "raw"
    atexit.register(shutil.rmtree, target.parent, True)
    for name in _bundled_files():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(CHECKOUT_RAW / name, target / name)
    return target


BUNDLED_RAW = _copy_bundled()
SEED_DIR = BUNDLED_RAW / "2017" / "WH-DHZB"  # the seed department's report, in the copy
ENV_KEYS = (
    "WAREHOUSE_RAW_DIR", "WAREHOUSE_WORK_DB", "WAREHOUSE_PUBLISH_DIR", "WAREHOUSE_RULE_SETS_DIR", "DAGSTER_HOME",
    "WAREHOUSE_XLSX_MAX_ROWS",
)
# Debian's headless Chromium, driven by Playwright (the page tests, the data dictionary page).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LOCAL_SCHEMES = ("file:", "data:", "about:")


def _only_unit(config: pytest.Config) -> bool:
    paths = [Path(a.split("::")[0]).resolve() for a in config.args] or [TESTS]
    return all(p.is_relative_to(TESTS / "unit") for p in paths)


def pytest_configure(config: pytest.Config) -> None:
    # The Dagster definitions read dbt's manifest at import: make it match the models first (a digest of
    # the project when nothing changed). Not needed, nor Dagster imported, when only unit tests run.
    if not _only_unit(config):
        from orchestration.dbt_manifest import prepare_manifest

        prepare_manifest()


def level(item: pytest.Item) -> str:
    """unit, integration or pipeline: the test's own marker, else its folder's."""
    own = [m.name for m in item.iter_markers() if m.name in LEVELS]
    if own:
        return own[0]
    folder = item.path.resolve().relative_to(TESTS).parts[0]
    assert folder in LEVELS, f"{item.nodeid}: tests live in tests/unit, tests/integration or tests/pipeline"
    return folder


# The files that take longest (each runs whole refreshes of its own), longest first: collected before the others,
# so that `make test`'s two processes (--dist loadfile hands out files in collection order) start them first
# and the short files fill in around them, instead of one long file running alone at the end.
# (Measured in session 8 with --durations=0, summed per file: 104, 60, 50, 44, 28, 26, 25, 24, 21, 20, 17, 14 s;
# session 9 made every refresh cheaper and kept the order.)
SLOW_FILES = ("test_incremental.py", "test_make_run.py", "test_data_quality.py", "test_reliability.py",
              "test_bad_inputs.py", "test_contract_validation.py", "test_analyst_marts.py", "test_publish.py",
              "test_forms.py", "test_scores_pipeline.py", "test_up_to_date.py", "test_integrity_slices.py",
              "test_seed_figures.py", "test_workbook_seed.py")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if not any(m.name in LEVELS for m in item.iter_markers()):
            item.add_marker(level(item))
    rank = {name: i for i, name in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOW_FILES)))  # stable: the rest keep their order


def write_instance_settings(home: Path) -> None:
    """The instance settings `make setup` installs (one run at a time, run monitoring, no telemetry, the
    pooled event log), with the event log's folder written out rather than read from $DAGSTER_HOME: a test
    opens the instances of several warehouses, whatever DAGSTER_HOME says."""
    settings = yaml.safe_load((PROJECT_ROOT / "orchestration" / "dagster.yaml").read_text(encoding="utf-8"))
    settings["event_log_storage"]["config"]["dagster_home"] = str(home)
    (home / "dagster.yaml").write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")


class Warehouse:
    """An isolated warehouse: its own raw folder, working database, published folder and instance."""

    def __init__(self, root: Path):
        self.root = root
        self.raw_dir = root / "raw"
        self.work_db = root / "work" / "build.duckdb"
        self.publish_dir = root / "marts"
        self.dagster_home = root / "dagster_home"
        self.dagster_home.mkdir(parents=True, exist_ok=True)
        write_instance_settings(self.dagster_home)
        # The Excel workbooks cost about 1.5 s a publication: written only by the warehouses whose tests read
        # them (the bundled one; `make run` in tests/pipeline/test_make_run.py). Elsewhere xlsx/ holds just its note.
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
        write_instance_settings(self.dagster_home)  # its own event log, not the source's

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


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, write_raw: Callable[[Warehouse], None],
               xlsx_max_rows: str | None = "0", extra_env: dict[str, str] | None = None) -> Warehouse:
    """A warehouse built once per test session, and not once per process: pytest-xdist's workers share
    their session's temporary folder, and the first to need the warehouse builds it (holding a lock the
    others wait on); the others open the same folders. Nobody writes to it afterwards: tests that change
    a warehouse change a copy (`Warehouse.clone_from`). `write_raw` writes its raw files; a refresh with
    the environment `extra_env` adds to the warehouse's follows."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / f"built-once-{name}"
    folder.mkdir(exist_ok=True)
    wh = Warehouse(folder / "warehouse")
    wh.xlsx_max_rows = xlsx_max_rows
    with (folder / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        failed = folder / "failed"
        if failed.exists():
            pytest.fail(f"the {name} warehouse failed to build in another process: {failed.read_text()}")
        if not (folder / "built").exists():
            write_raw(wh)
            saved = _activate(wh)
            os.environ.update(extra_env or {})
            try:
                wh.refresh()
            except BaseException as exc:
                failed.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
                raise
            finally:
                _restore(saved)
            (folder / "built").touch()
    return wh


@pytest.fixture(scope="session")
def seed_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The seed department's 2017 report, loaded, transformed and published once per session."""
    return built_once(tmp_path_factory, "seed", Warehouse.copy_seed)


@pytest.fixture(scope="session")
def bundled_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Warehouse:
    """The bundled data of `make run` (the seed and the demo departments), built once per session, with
    every workbook, as `make run` writes them (tests/integration/test_dictionary.py reads them)."""
    def write_raw(wh: Warehouse) -> None:
        shutil.copytree(BUNDLED_RAW, wh.raw_dir)

    return built_once(tmp_path_factory, "bundled", write_raw, xlsx_max_rows=None)


@pytest.fixture
def seed_copy(warehouse: Warehouse, seed_warehouse: Warehouse) -> Warehouse:
    """A copy of the seed warehouse (raw files, working database, publication, Dagster instance), active."""
    warehouse.clone_from(seed_warehouse)
    return warehouse


@pytest.fixture
def bundled_copy(warehouse: Warehouse, bundled_warehouse: Warehouse) -> Warehouse:
    """A copy of the bundled warehouse, active."""
    warehouse.clone_from(bundled_warehouse)
    return warehouse


@pytest.fixture(scope="module")  # not the session: Playwright's event loop would outlive the module's tests
def browser() -> Iterator[object | None]:
    """Chromium, started once per test file; None when it is not installed (each page test then fails
    with the reason: CI installs Chromium, a missing one is an error)."""
    if not CHROMIUM.exists():
        yield None
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
