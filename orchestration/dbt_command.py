"""The warehouse's dbt command (`warehouse-dbt`, pyproject.toml): dbt-core's command line, with the working
database's folder left out of the key of dbt's partial-parse cache.

dbt reuses its last parse (target/partial_parse.msgpack) only while the profile's connection settings hash
the same, and that hash includes dbt-duckdb's `path`: the full path of the working database. So each
warehouse in a folder other than the one `prepare` parsed with (every test warehouse, every benchmark
scenario, a user's WAREHOUSE_WORK_DB) paid a full parse, 3-4 s, in every dbt command of every refresh. What
a parse produces depends on the file's stem only (dbt-duckdb names the database after it, and every
relation of the manifest carries that name; `database` stays in the key), never on its folder: the same
rule as the manifest's fingerprint (orchestration/dbt_manifest.py, PARSED_AS_STEM).

dbt-duckdb's `_connection_keys` is private; tests/integration/test_dbt_resource.py fails if it no longer
lists `path` and `database`, or if a refresh of a warehouse in another folder parses in full.
"""

from __future__ import annotations

import os

from dbt.adapters.duckdb.credentials import DuckDBCredentials
from dbt.parser.manifest import ManifestLoader

from orchestration.settings import duckdb_memory_limit

UNPARSED_KEYS = ("path",)
_dbt_duckdb_keys = DuckDBCredentials._connection_keys
_dbt_state_check = ManifestLoader.build_manifest_state_check


def _parse_keys(self: DuckDBCredentials) -> tuple[str, ...]:
    return tuple(key for key in _dbt_duckdb_keys(self) if key not in UNPARSED_KEYS)


def _state_check(self: ManifestLoader):
    """dbt's own state check, with the connection settings it hashes read without UNPARSED_KEYS (and
    only there: `target.path` and `dbt debug` still show the path)."""
    DuckDBCredentials._connection_keys = _parse_keys
    try:
        return _dbt_state_check(self)
    finally:
        DuckDBCredentials._connection_keys = _dbt_duckdb_keys


def main() -> None:
    from dbt.cli.main import cli

    # The profile's DuckDB memory_limit (profiles.yml) reads it; its default is the warehouse's own.
    os.environ.setdefault("WAREHOUSE_DUCKDB_MEMORY_LIMIT", duckdb_memory_limit())
    ManifestLoader.build_manifest_state_check = _state_check
    cli()


if __name__ == "__main__":
    main()
