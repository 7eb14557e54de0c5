"""One description of the raw files drives the loader, the dbt sources and the docs; the marts
are documented column by column in Chinese and English."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys

import duckdb
import yaml
from conftest import SEED_DIR

from orchestration.contract import PROJECT_ROOT, load_contract
from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from tools.contract_render import REQUIRED_KINDS_SEED, render_required_kinds, render_sources

CONTRACT = load_contract()


def test_generated_files_are_up_to_date():
    check = subprocess.run([sys.executable, "-m", "tools.contract_render", "--check"],
                           cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout


def test_render_reflects_a_contract_change(tmp_path):
    """The check above can fail: a changed contract renders different sources."""
    doc = yaml.safe_load((PROJECT_ROOT / "contract/raw_contract.yaml").read_text(encoding="utf-8"))
    doc["file_kinds"]["staffing"]["columns"].append(
        {"name": "extra", "header_zh": "附加", "type": "text", "description": "x"})
    changed = tmp_path / "contract.yaml"
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert render_sources(load_contract.__wrapped__(changed)) != render_sources(CONTRACT)


def test_dbt_sources_carry_every_contract_column():
    manifest = json.loads((PROJECT_ROOT / "dbt_project/target/manifest.json").read_text(encoding="utf-8"))
    for kind in CONTRACT.kinds.values():
        source = manifest["sources"][f"source.budget_performance.reports.{kind.name}"]
        assert source["meta"]["dagster"]["asset_key"] == ["raw", kind.name]
        for column in kind.columns:
            assert source["columns"][column.name]["meta"]["contract_type"] == column.type


def test_docs_describe_every_column():
    docs = (PROJECT_ROOT / "docs/raw-data.md").read_text(encoding="utf-8")
    for kind in CONTRACT.kinds.values():
        assert f"### `{kind.name}` ({kind.label_zh})" in docs
        for column in kind.columns:
            assert f"| `{column.name}` | {column.header_zh}" in docs


def test_bundled_seed_follows_the_contract_and_is_sourced():
    sources_note = (SEED_DIR / "SOURCES.md").read_text(encoding="utf-8")
    # Every kind of a department's own report in contract version 1, transcribed then and left unchanged:
    # reviewer scores come from a reviewer; project forms, funding by source and completeness markers are
    # version 2's, and the seed report has none of them.
    version_2 = {"project_forms", "funding_sources", "source_completeness"}
    assert {p.stem for p in SEED_DIR.glob("*.csv")} == set(CONTRACT.kinds) - {"reviewer_scores"} - version_2
    for kind in CONTRACT.kinds.values():
        path = SEED_DIR / f"{kind.name}.csv"
        if kind.name == "reviewer_scores" or kind.name in version_2:
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        # exactly the version-1 columns, in the contract's order; those version 2 added are optional
        assert header == [c.header_zh for c in kind.columns if c.since == 1], kind.name
        assert all(not c.required for c in kind.columns if c.since > 1), kind.name
        assert f"`{path.name}`" in sources_note


MART_DOCS = [
    PROJECT_ROOT / "dbt_project/models/marts/_marts.yml", PROJECT_ROOT / "dbt_project/models/scores/_scores.yml",
]


def test_every_mart_column_is_documented_in_both_languages(seed_warehouse):
    documented = {}
    for path in MART_DOCS:
        documented.update({m["name"]: m for m in yaml.safe_load(path.read_text(encoding="utf-8"))["models"]})
    published = seed_warehouse.query(
        "select table_name, column_name from information_schema.columns where table_schema = 'marts' "
        "order by table_name, ordinal_position")
    tables: dict[str, list[str]] = {}
    for table, column in published:
        tables.setdefault(table, []).append(column)
    assert set(tables) == set(documented)
    for table, columns in tables.items():
        model = documented[table]
        assert model["description"] and model["config"]["meta"]["label_zh"]
        expected = []
        for c in model["columns"]:
            if c["config"]["meta"].get("pattern"):  # score_<dimension>: one column per rule-set dimension
                prefix = c["name"].split("<")[0]
                expected += [name for name in columns if name.startswith(prefix) and name not in
                             {d["name"] for d in model["columns"]}]
            else:
                expected.append(c["name"])
        assert expected == columns, table
        for c in model["columns"]:
            assert c["description"].strip(), f"{table}.{c['name']}: English description"
            label = c["config"]["meta"]["label_zh"]
            assert any("\u4e00" <= ch <= "\u9fff" for ch in label), f"{table}.{c['name']}: Chinese label"


def test_every_dbt_model_has_integrity_tests():
    manifest = json.loads((PROJECT_ROOT / "dbt_project/target/manifest.json").read_text(encoding="utf-8"))
    rules = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "test":
            assert node["test_metadata"]["name"] == "integrity", node["name"]  # one test per model or table
            tested = node["attached_node"] or node["test_metadata"]["kwargs"]["model"]  # a source table's: no node
            assert tested not in rules, tested
            rules[tested] = {k for k in node["test_metadata"]["kwargs"] if k != "model"}
    models = [k for k, n in manifest["nodes"].items() if n["resource_type"] == "model"]
    # The check views' rows are tested where they are published: data_quality_findings unions every one.
    checks = [m for m in models if manifest["nodes"][m]["fqn"][1] == "quality"]
    assert len(checks) == 24
    findings = manifest["nodes"]["model.budget_performance.data_quality_findings"]
    assert set(checks) <= set(findings["depends_on"]["nodes"])
    assert [m for m in models if m not in rules and m not in checks] == []
    # Marts: unique keys, references to the department-year, accepted values, and lineage on every mart
    # whose rows come from a raw file row.
    assert {"key", "references", "accepted_values", "lineage"} <= rules["model.budget_performance.indicator_completion"]
    for mart in ("project_execution", "department_execution", "three_public_expenses", "indicator_completion",
                 "self_evaluation"):
        assert "lineage" in rules[f"model.budget_performance.{mart}"], mart


def test_each_integrity_rule_of_a_mart_fails_on_a_row_that_breaks_it(seed_warehouse, tmp_path):
    """The integrity test of project_execution passes on the seed, then fails, naming each rule, once a row
    breaks each: a duplicate key, a row without its source row (lineage), an unknown code, and a
    department that is not in departments."""
    work = tmp_path / "build.duckdb"  # the same file name: the dbt database is named after it
    shutil.copy(seed_warehouse.work_db, work)
    target = tmp_path / "target"
    command = [str(DBT_EXECUTABLE), "test", "--select", "project_execution,test_name:integrity",
               "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
               "--target-path", str(target)]
    env = {**os.environ, "WAREHOUSE_WORK_DB": str(work)}
    passed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=DBT_PROJECT_DIR)
    assert passed.returncode == 0, passed.stdout[-2000:]
    con = duckdb.connect(str(work))
    con.execute("update marts.project_execution set source_row = null where line_no = 1")
    con.execute("update marts.project_execution set line_no = 3 where line_no = 2")
    con.execute("update marts.project_execution set expenditure_type = 'other' where line_no = 4")
    con.execute("update marts.project_execution set department_code = 'NOWHERE' where line_no = 5")
    failing = "\n".join(p.read_text(encoding="utf-8")
                        for p in (target / "compiled").rglob("integrity_project_execution*.sql"))
    found = sorted(con.execute(failing).fetchall())  # what `dbt test` runs (a row each: "Got 5 results")
    con.close()
    assert found == sorted([
        ("lineage", "source_row"), ("key", "WH-DHZB|2017|3"), ("accepted_values", "expenditure_type = other"),
        ('references', '"build"."marts"."department_execution": NOWHERE|2017'),
        ('references', '"build"."marts"."departments": NOWHERE'),
    ])


def test_dbt_knows_the_contracts_required_kinds(tmp_path):
    """The contract is required_kinds' one home: dbt reads it as the seed contract_render writes (kept current by
    test_generated_files_are_up_to_date), never as a var of its own."""
    project = yaml.safe_load((PROJECT_ROOT / "dbt_project/dbt_project.yml").read_text(encoding="utf-8"))
    assert "required_kinds" not in project["vars"]
    assert project["vars"]["number_grammar"] == CONTRACT.number_grammar
    with REQUIRED_KINDS_SEED.open(encoding="utf-8", newline="") as fh:
        assert [row["kind"] for row in csv.DictReader(fh)] == list(CONTRACT.required_kinds)
    doc = yaml.safe_load((PROJECT_ROOT / "contract/raw_contract.yaml").read_text(encoding="utf-8"))
    doc["required_kinds"] = ["department_profile"]
    changed = tmp_path / "contract.yaml"
    changed.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    assert render_required_kinds(load_contract.__wrapped__(changed)) == "kind,label_zh\ndepartment_profile,部门概况\n"
    manifest = json.loads((PROJECT_ROOT / "dbt_project/target/manifest.json").read_text(encoding="utf-8"))
    check = manifest["nodes"]["model.budget_performance.fnd_missing_file_kind"]
    assert "seed.budget_performance.required_file_kinds" in check["depends_on"]["nodes"]
