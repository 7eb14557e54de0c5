"""A fiscal year whose files are those the working database last loaded, byte for byte, is not loaded again.

The load of a year reads and decodes every file, screens every row against the contract and validates the
flagged ones with Great Expectations (whose import alone costs seconds): a nightly refresh or `make run`
over years that did not change paid all of it to write the same rows and findings again. The load records,
in its own transaction, the digest of the year's files (names and contents, `raw_files.fingerprint`)
together with the digest of what decides how they are read (the contract, the expectations, the loader's
code and the DuckDB and Great Expectations versions). A later load of the year with both digests equal
keeps what the year holds, and records the year for the build as loaded with nothing changed
(orchestration/refresh_scope.py). `WAREHOUSE_RELOAD_UNCHANGED=1` reloads them anyway.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
from functools import cache
from pathlib import Path

import duckdb

from orchestration.contract import Contract
from orchestration.quality.contract_validation import Violation
from orchestration.raw_files import Rejection, fingerprint
from orchestration.raw_load import FINDINGS_TABLE, MANIFEST_TABLE, KindLoadResult, YearLoadResult, ensure_raw_schema
from orchestration.refresh_scope import record_unchanged_year
from orchestration.settings import reload_unchanged

YEAR_LOADS_TABLE = "raw._year_loads"
PROJECT = Path(__file__).resolve().parents[1]
# What decides how a year's files are read, screened, validated and recorded.
LOADER_INPUTS = ("contract/raw_contract.yaml", "expectations", "orchestration/contract.py",
                 "orchestration/raw_files.py", "orchestration/raw_load.py", "orchestration/refresh_scope.py",
                 "orchestration/unchanged_years.py", "orchestration/quality/contract_validation.py",
                 "orchestration/quality/contract_suites.py")


@cache
def loader_digest() -> str:
    digest = hashlib.sha256()
    for name in LOADER_INPUTS:
        path = PROJECT / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file():
                digest.update(str(file.relative_to(PROJECT)).encode() + b"\0" + file.read_bytes())
    for package in ("duckdb", "great_expectations"):
        digest.update(f"{package}=={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()


def year_digest(raw_dir: Path, year: int) -> str:
    """The digest of a year's files and of what reads them."""
    return hashlib.sha256(f"{fingerprint(raw_dir, year)}:{loader_digest()}".encode()).hexdigest()


def strays_digest(strays: list[Rejection]) -> str:
    """The digest of what the raw folder holds beside its year folders (recorded by every load)."""
    return hashlib.sha256(f"{sorted(map(repr, strays))}:{loader_digest()}".encode()).hexdigest()


def record_strays(con: duckdb.DuckDBPyConnection, strays: list[Rejection]) -> None:
    """The files beside the year folders, as the load recorded them: the row of no fiscal year."""
    ensure_year_loads(con)
    con.execute(f"delete from {YEAR_LOADS_TABLE} where fiscal_year is null")
    con.execute(f"insert into {YEAR_LOADS_TABLE} values (null, ?, now())", [strays_digest(strays)])


def ensure_year_loads(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(f"create table if not exists {YEAR_LOADS_TABLE} (fiscal_year integer, digest varchar, "
                "loaded_at timestamp)")


def record_year_load(con: duckdb.DuckDBPyConnection, year: int, digest: str) -> None:
    """What the year now holds was loaded from files of this digest (in the load's transaction)."""
    ensure_year_loads(con)
    con.execute(f"delete from {YEAR_LOADS_TABLE} where fiscal_year = ?", [year])
    con.execute(f"insert into {YEAR_LOADS_TABLE} values (?, ?, now())", [year, digest])


def kept_load(con: duckdb.DuckDBPyConnection, contract: Contract, year: int, digest: str) -> YearLoadResult | None:
    """When the year was last loaded from files of this digest: what it holds, as that load's result (the year
    recorded for the build as loaded, nothing changed); else None, and the year is to be loaded."""
    ensure_raw_schema(con, contract)
    ensure_year_loads(con)
    if reload_unchanged():
        return None
    stored = con.execute(f"select digest from {YEAR_LOADS_TABLE} where fiscal_year = ?", [year]).fetchone()
    if stored is None or stored[0] != digest:
        return None
    record_unchanged_year(con, year)
    counts = {kind: (files, rows) for kind, files, rows in con.execute(
        f"select kind, count(*), sum(row_count) from {MANIFEST_TABLE} where _partition_year = ? group by 1",
        [year]).fetchall()}
    findings = con.execute(
        f"select source_file, kind, source_row, source_column, check_name, value, reason, action "
        f"from {FINDINGS_TABLE} where _partition_year = ? order by source_file, source_row nulls first",
        [year]).fetchall()
    quarantined_by_kind: dict[str, set[str]] = {}
    for source_file, kind, *_, action in findings:
        if "quarantined" in (action or ""):
            quarantined_by_kind.setdefault(kind or "", set()).add(source_file)
    kinds = [KindLoadResult(kind, int(counts.get(kind, (0, 0))[0]), int(counts.get(kind, (0, 0))[1] or 0),
                            tuple(sorted(quarantined_by_kind.get(kind, set())))) for kind in contract.kinds]
    return YearLoadResult(kinds, [Violation(f, k or "", row, column, check, value, reason)
                                  for f, k, row, column, check, value, reason, _ in findings],
                          {f for files in quarantined_by_kind.values() for f in files}, changed_departments=[])
