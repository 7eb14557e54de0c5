"""The dbt manifest the Dagster definitions read, parsed again only when what dbt parse reads changed."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from orchestration.resources import DBT_EXECUTABLE, DBT_PROJECT_DIR
from orchestration.settings import warehouse_paths

FINGERPRINT_NAME = "manifest.fingerprint"  # in the project's target/ folder, beside manifest.json
PARSE_STATE_NAME = "partial_parse.msgpack"  # dbt's last parse, in the project's target/ folder
DBT_SOURCE_FOLDERS = ("models", "macros", "seeds", "tests")
# Environment variables of which `dbt parse` reads a part only. The working database's path: dbt-duckdb
# names the database after the file's stem, which every relation of the manifest carries, while the
# folder is read when dbt runs; so a warehouse in another folder needs no parse (nor a full rebuild).
# (Unset, it is the default path of orchestration/settings.py, as in profiles.yml.)
PARSED_AS_STEM = {"WAREHOUSE_WORK_DB": lambda: f"<stem {warehouse_paths().work_db.stem}>"}
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
