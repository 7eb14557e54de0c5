"""A refresh with nothing new does nothing (orchestration/up_to_date.py); anything the publication is made of
that changed makes it run."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration import up_to_date
from orchestration.cli import main
from orchestration.dbt_manifest import state_dir
from orchestration.publication import REPORT_NAME
from orchestration.refresh_scope import PENDING_TABLE
from orchestration.settings import PROJECT_ROOT, warehouse_paths


def _publication(wh) -> str:
    return wh.query("select publication_id from meta.refresh")[0][0]


def _runs(wh) -> int:
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(wh.dagster_home)) as instance:
        return len(instance.get_runs())


@pytest.fixture
def seed_own_rule_sets(seed_copy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the seed warehouse, under a copy of the rule sets (which the test changes): as current as the
    seed warehouse, since the digest covers what the rule sets say, not where they are."""
    rule_sets = tmp_path / "rule_sets"
    shutil.copytree(PROJECT_ROOT / "rule_sets", rule_sets)
    monkeypatch.setenv("WAREHOUSE_RULE_SETS_DIR", str(rule_sets))
    return seed_copy


def _check_each_input(wh, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each thing the publication is made of, changed then restored: not current, then current again."""
    paths, years = warehouse_paths(), [2017]
    publication = _publication(wh)
    assert up_to_date.current_publication(paths, years) == publication

    def changed(why: str) -> None:
        assert up_to_date.current_publication(paths, years) is None, why

    def restored() -> None:
        assert up_to_date.current_publication(paths, years) == publication

    lines = wh.raw_dir / "2017" / "WH-DHZB" / "budget_lines.csv"
    original = lines.read_bytes()
    lines.write_bytes(original + b"\n")
    changed("a raw file of the year")
    lines.write_bytes(original)
    restored()
    assert up_to_date.current_publication(paths, [2016, 2017]) is None  # a year never loaded

    stray = wh.raw_dir / "notes.csv"
    stray.write_text("a,b\n", encoding="utf-8")
    changed("a file beside the year folders")
    stray.unlink()
    restored()

    rule_set = sorted(Path(paths.rule_sets_dir).glob("*.yml"))[0]
    text = rule_set.read_text(encoding="utf-8")
    rule_set.write_text(text + "# changed\n", encoding="utf-8")
    changed("a rule set")
    rule_set.write_text(text, encoding="utf-8")
    restored()

    monkeypatch.setenv("WAREHOUSE_XLSX_MAX_ROWS", "10")
    changed("a setting")
    monkeypatch.setenv("WAREHOUSE_XLSX_MAX_ROWS", wh.xlsx_max_rows)
    restored()
    monkeypatch.setenv("WAREHOUSE_RELOAD_UNCHANGED", "1")
    changed("a forced refresh")
    monkeypatch.delenv("WAREHOUSE_RELOAD_UNCHANGED")

    manifest = state_dir() / "manifest.json"
    built = manifest.read_bytes()
    manifest.write_bytes(built + b" ")
    changed("the dbt project, since the last build")
    manifest.write_bytes(built)
    restored()

    code = tmp_path / "code"
    for name in up_to_date.CODE_INPUTS:
        shutil.copytree(PROJECT_ROOT / name, code / name, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(up_to_date, "PROJECT_ROOT", code)
    restored()  # the same code elsewhere
    (code / "orchestration" / "publication.py").write_text("# changed\n", encoding="utf-8")
    changed("the warehouse's code")
    monkeypatch.setattr(up_to_date, "PROJECT_ROOT", PROJECT_ROOT)

    con = duckdb.connect(str(paths.work_db))
    con.execute(f"insert into {PENDING_TABLE} values (2017, 'WH-DHZB', false, now())")
    con.close()
    changed("a load waiting for its build")
    con = duckdb.connect(str(paths.work_db))
    con.execute(f"delete from {PENDING_TABLE}")
    con.close()
    restored()

    report = paths.publish_dir / REPORT_NAME
    page = report.read_bytes()
    report.unlink()
    changed("a page of the publication missing")
    report.write_bytes(page)
    restored()


def test_a_refresh_with_nothing_new_does_nothing_and_whatever_changed_makes_it_run(
        seed_own_rule_sets, capsys, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    wh = seed_own_rule_sets
    _check_each_input(wh, monkeypatch, tmp_path)
    first, runs = _publication(wh), _runs(wh)
    capsys.readouterr()
    assert main(["run"]) == 0
    out = capsys.readouterr().out
    assert f"nothing changed since publication {first}" in out
    assert _publication(wh) == first and _runs(wh) == runs  # no Dagster run, the same publication

    lines = wh.raw_dir / "2017" / "WH-DHZB" / "budget_lines.csv"
    lines.write_text(lines.read_text(encoding="utf-8").replace(",135.00,130.84,", ",135.00,131.84,"), encoding="utf-8")
    assert main(["run"]) == 0
    assert "nothing changed" not in capsys.readouterr().out
    assert _publication(wh) != first and _runs(wh) > runs
    assert wh.query("select actual_spend from marts.project_execution where fiscal_year = 2017 "
                    "and line_no = 1 and department_code = 'WH-DHZB'")[0][0] == Decimal("131.84")


def test_the_partition_years_are_dagsters() -> None:
    from orchestration.partitions import all_keys

    assert [str(y) for y in up_to_date.partition_years()] == all_keys()
