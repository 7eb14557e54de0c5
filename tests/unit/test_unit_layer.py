"""The unit tests stay unit tests: no module of tests/unit imports Dagster or dbt (checked in a fresh
process, importing them the way pytest does), and no test here asks for a warehouse or a refresh."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import LEVELS, PROJECT_ROOT, TESTS, level

UNIT = Path(__file__).resolve().parent
HEAVY = ("dagster", "dagster_dbt", "dbt", "playwright")
WAREHOUSE_FIXTURES = {"warehouse", "seed_warehouse", "bundled_warehouse", "seed_copy", "bundled_copy"}

IMPORT_EACH = """
import importlib, json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2], sys.argv[3]]
heavy = set(sys.argv[4].split(","))
def loaded():
    return sorted({m.split(".")[0] for m in sys.modules} & heavy)
found = {}
for name in ["conftest", *sys.argv[5:]]:
    before = loaded()
    importlib.import_module(name)
    found[name] = [m for m in loaded() if m not in before]
print(json.dumps(found))
"""


def test_no_unit_test_module_imports_dagster_or_dbt() -> None:
    modules = sorted(p.stem for p in UNIT.glob("test_*.py"))
    assert "test_unit_layer" in modules and len(modules) > 5
    done = subprocess.run([sys.executable, "-c", IMPORT_EACH, str(UNIT), str(TESTS), str(PROJECT_ROOT),
                           ",".join(HEAVY), *modules], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(found) == {"conftest", *modules}
    assert {name: heavy for name, heavy in found.items() if heavy} == {}


def test_no_unit_test_asks_for_a_warehouse(request) -> None:
    unit = [item for item in request.session.items if item.path.resolve().is_relative_to(UNIT)]
    assert unit
    asking = {item.nodeid: sorted(set(getattr(item, "fixturenames", ())) & WAREHOUSE_FIXTURES) for item in unit}
    assert {k: v for k, v in asking.items() if v} == {}
    assert {item.nodeid: level(item) for item in unit if level(item) != "unit"} == {}


def test_every_test_has_one_level() -> None:
    assert LEVELS == ("unit", "integration", "pipeline")
    stray = [p for p in TESTS.glob("test_*.py")]
    assert stray == [], "test files live in tests/unit, tests/integration or tests/pipeline"
