"""The dbt manifest the Dagster definitions read, parsed again only when what dbt parse reads changed."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from orchestration.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, warehouse_paths

FINGERPRINT_NAME = "manifest.fingerprint"  # in the project's target/ folder, beside manifest.json
PARSE_STATE_NAME = "partial_parse.msgpack"  # dbt's last parse, in the project's target/ folder
DBT_SOURCE_FOLDERS = ("models", "macros", "seeds", "tests")
# Environment variables of which `dbt parse` reads a part only. The working database's path: dbt-duckdb
# names the database after the file's stem, which every relation of the manifest carries, while the
# folder is read when dbt runs; so a warehouse in another folder needs no parse (nor a full rebuild).
# (Unset, it is the default path of orchestration/settings.py, as in profiles.yml.)
PARSED_AS_STEM = {"WAREHOUSE_WORK_DB": lambda: f"<stem {warehouse_paths().work_db.stem}>"}
MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# The raw source of what the load found (the load's fingerprints call it '_findings').
FINDINGS_SOURCE = "_contract_findings"
# The manifest the working database's dbt tables were last built from (beside the database it describes):
# dbt's state comparison (state:modified+) against it tells which models changed since.
STATE_FOLDER = "dbt_state"
ENV_VAR_USE = re.compile(r"""env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")


def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A digest of everything `dbt parse` reads: the project's files and the environment variables they
    name (of the working database's path its stem only)."""
    digest = hashlib.sha256()
    files = [project_dir / name for name in ("dbt_project.yml", "profiles.yml", "selectors.yml")]
    for folder in DBT_SOURCE_FOLDERS:
        files += sorted(p for p in (project_dir / folder).rglob("*") if p.is_file())
    names: set[str] = set()
    for path in files:
        content = path.read_bytes()
        names |= set(ENV_VAR_USE.findall(content.decode("utf-8", errors="replace")))
        digest.update(str(path.relative_to(project_dir)).encode() + b"\0" + content + b"\0")
    for name in sorted(names):
        value = PARSED_AS_STEM[name]() if name in PARSED_AS_STEM else os.environ.get(name)
        digest.update(f"{name}={value}\0".encode())
    return digest.hexdigest()


def prepare_manifest(force: bool = False, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """dbt parse, so that the Dagster definitions load the current models (never a stale manifest).

    Skipped when the manifest was parsed from the same files and environment. Returns whether it parsed.
    """
    fingerprint = project_fingerprint(project_dir)
    manifest = project_dir / "target" / "manifest.json"
    recorded = project_dir / "target" / FINGERPRINT_NAME
    if not force and manifest.exists() and recorded.exists() and recorded.read_text(encoding="utf-8") == fingerprint:
        return False
    recorded.unlink(missing_ok=True)
    subprocess.run(
        [str(DBT_EXECUTABLE), "parse", "--quiet", "--project-dir", str(project_dir),
         "--profiles-dir", str(project_dir)],
        check=True,
    )
    recorded.write_text(fingerprint, encoding="utf-8")
    return True


def state_dir() -> Path:
    return warehouse_paths().work_db.parent / STATE_FOLDER


def built_manifest() -> Path:
    """The manifest the working database's dbt tables were last built from (saved after each build)."""
    return state_dir() / "manifest.json"


def built_from_current_manifest() -> bool:
    """Whether the working database's dbt tables were last built from the project's current manifest."""
    saved = built_manifest()
    return saved.exists() and MANIFEST.exists() and saved.read_bytes() == MANIFEST.read_bytes()


@contextmanager
def scratch_target(prefix: str) -> Iterator[str]:
    """A temporary dbt target folder holding the project's last parse (target/partial_parse.msgpack, from
    `prepare`), for a dbt command that must not write the project's target/ (its manifest is what the
    Dagster definitions read) yet should not parse the project again (2-3 s)."""
    with tempfile.TemporaryDirectory(prefix=prefix) as target:
        parse_state = DBT_PROJECT_DIR / "target" / PARSE_STATE_NAME
        if parse_state.exists():
            shutil.copyfile(parse_state, Path(target) / PARSE_STATE_NAME)
        yield target


def read_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    """The parsed manifest, read once per file version (its size and modification time)."""
    stat = path.stat()
    return _parsed(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _parsed(path: str, size: int, mtime_ns: int) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def model_names(path: Path = MANIFEST) -> set[str]:
    return {node["name"] for node in read_manifest(path)["nodes"].values() if node["resource_type"] == "model"}


def seed_names(path: Path = MANIFEST) -> set[str]:
    return {node["name"] for node in read_manifest(path)["nodes"].values() if node["resource_type"] == "seed"}


def in_dependency_order(keys: Iterable, path: Path = MANIFEST) -> list:
    """Dagster asset keys of dbt nodes (the node's name last in the key) in dependency order, parents first."""
    manifest = read_manifest(path)
    finished: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid not in seen:
            seen.add(uid)
            for parent in manifest["parent_map"].get(uid, []):
                visit(parent)
            finished.append(uid)  # after every parent

    for uid in manifest["nodes"]:
        visit(uid)
    position = {manifest["nodes"][uid]["name"]: n for n, uid in enumerate(finished) if uid in manifest["nodes"]}
    return sorted(keys, key=lambda key: (position.get(key.path[-1], -1), key.to_user_string()))


def models_not_reached(kinds: set[str] | None, path: Path = MANIFEST) -> list[str]:
    """The models that read none of the raw sources whose rows changed (`kinds`: file kinds and '_findings',
    the contract findings, from orchestration/refresh_scope.py), directly or through other models; none when
    the change is unknown (None). Their tables hold what a build would write again."""
    if kinds is None:
        return []
    manifest = read_manifest(path)
    names = {FINDINGS_SOURCE if kind == "_findings" else kind for kind in kinds}
    reached = {uid for uid, source in manifest["sources"].items()
               if source["source_name"] == "reports" and source["name"] in names}
    frontier = list(reached)
    while frontier:
        for child in manifest["child_map"].get(frontier.pop(), []):
            if child not in reached:
                reached.add(child)
                frontier.append(child)
    return sorted(node["name"] for uid, node in manifest["nodes"].items()
                  if node["resource_type"] == "model" and uid not in reached)
