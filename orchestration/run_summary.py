"""The closing summary of a refresh on the command line, read from the published file: what was
quarantined and why, the findings by severity (real departments apart from the synthetic demo, whose
errors are injected on purpose), and where to find the published files and the log."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb

from orchestration.publication import DASHBOARD_NAME, PARQUET_LINK, PUBLISHED_NAME, REPORT_NAME, XLSX_LINK
from orchestration.sql import sql_text

INJECTIONS_FILE = "_injections.csv"  # written by the demo generator beside the demo data
QUARANTINES_SHOWN = 20


def _shown(path: Path) -> str:
    """A path as the user typed it: relative to the working directory when it is below it."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:
        return str(path)


def _counts(rows: list[tuple[str, int]]) -> str:
    order = {"error": 0, "warning": 1, "info": 2}
    return ", ".join(f"{severity} {count}" for severity, count in sorted(rows, key=lambda r: order.get(r[0], 9))
                     ) or "none"


def quarantined_files(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """Each file (or sheet) with something quarantined, and its first reason (row and column named)."""
    return con.execute("""
        select source_file, arg_min(
            coalesce('row ' || source_row || ', ', '') || coalesce(source_column || ': ', '') || reason,
            coalesce(source_row, -1)) as first_reason
        from meta.contract_findings
        where action like '%quarantined%'
        group by source_file
        order by source_file""").fetchall()


def _injected(raw_dir: Path) -> int | None:
    path = raw_dir / INJECTIONS_FILE
    if not path.exists():
        return None
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def summary_lines(publish_dir: Path, raw_dir: Path, log: Path | None = None) -> list[str]:
    published = publish_dir / PUBLISHED_NAME
    con = duckdb.connect()
    try:
        con.execute(f"attach {sql_text(published)} as published (read_only)")
        con.execute("use published")
        publication = con.execute("select publication_id from meta.refresh").fetchone()[0]
        quarantined = quarantined_files(con)
        real = con.execute("select severity, count(*) from marts.data_quality_findings where not is_synthetic "
                           "group by severity").fetchall()
        synthetic = con.execute("select severity, count(*) from marts.data_quality_findings where is_synthetic "
                                "group by severity").fetchall()
    finally:
        con.close()
    lines = [f"published {_shown(published)} (publication {publication})"]
    if quarantined:
        lines.append(f"quarantined ({len(quarantined)} file(s); a quarantined file's previous version stays "
                     "loaded; all findings: meta.contract_findings):")
        lines += [f"  {source}: {reason}" for source, reason in quarantined[:QUARANTINES_SHOWN]]
        if len(quarantined) > QUARANTINES_SHOWN:
            lines.append(f"  ... and {len(quarantined) - QUARANTINES_SHOWN} more")
    else:
        lines.append("quarantined: no file")
    lines.append(f"findings, real departments: {_counts(real)}")
    if synthetic:
        injected = _injected(raw_dir)
        note = (f"; errors injected on purpose, {injected} listed in {_shown(raw_dir / INJECTIONS_FILE)}"
                if injected is not None else "")
        lines.append(f"findings, synthetic demo departments: {_counts(synthetic)}{note}")
    lines += [
        f"dashboard:           {_shown(publish_dir / DASHBOARD_NAME)}",
        f"data-quality report: {_shown(publish_dir / REPORT_NAME)}",
        f"Excel workbooks:     {_shown(publish_dir / XLSX_LINK)}/",
        f"Parquet files:       {_shown(publish_dir / PARQUET_LINK)}/",
        "SQL console:         make sql",
    ]
    if log is not None:
        lines.append(f"log (dbt, Dagster):  {_shown(log)}")
    return lines
