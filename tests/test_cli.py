"""The command line re-parses the dbt project only when what dbt parse reads has changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.cli import prepare_manifest, project_fingerprint
from orchestration.resources import DBT_PROJECT_DIR


def test_fingerprint_follows_every_model_macro_and_setting(tmp_path: Path) -> None:
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    before = project_fingerprint(project)
    assert project_fingerprint(project) == before
    for relative in ("models/marts/project_execution.sql", "macros/parsing.sql", "dbt_project.yml",
                     "seeds/units.csv"):
        path = project / relative
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert project_fingerprint(project) != before, relative
        path.write_bytes(original)
    assert project_fingerprint(project) == before


def test_manifest_is_parsed_again_only_when_the_fingerprint_changes(monkeypatch: pytest.MonkeyPatch) -> None:
    prepare_manifest()
    assert prepare_manifest() is False  # nothing changed: no dbt parse
    monkeypatch.setenv("WAREHOUSE_FINGERPRINT_PROBE", "1")  # the environment the profile reads is part of it
    assert prepare_manifest() is True
    monkeypatch.delenv("WAREHOUSE_FINGERPRINT_PROBE")
    assert prepare_manifest() is True
    assert (DBT_PROJECT_DIR / "target" / "manifest.json").exists()
