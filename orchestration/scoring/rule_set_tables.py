"""The validated rule sets compiled to tables, which the dbt score models read as a source.

`load_rule_sets` (rule_sets.py) validates the YAML files and refuses a bad one with `file:line:
message`; this module writes what it read, normalised, into the `reference` schema of the working
database:

- reference.rule_sets: one row per rule set (what it scores, total, judgment sources, file, digest);
- reference.rule_set_items: one row per item, with its dimension and every scalar parameter;
- reference.rule_set_grade_bands: the grade bands with their open or closed ends;
- reference.rule_set_qualitative_bands: the achieved / partly / not bands of qualitative_bands and
  indicator_completion items;
- reference.rule_set_pefa_ratings: the ratings of pefa_rating items, tightest first;
- reference.rule_set_item_levels: the level-1 headings an indicator_completion item scores.

Their columns are documented in dbt_project/models/scores/_rule_sets__sources.yml.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

import duckdb

from orchestration.scoring.rule_sets import RuleSet

WEIGHT = "decimal(14,4)"
PARAMETER = "decimal(18,8)"
PEFA_COLUMN = "pefa_{}_rating"  # department_scores has one pefa_<indicator>_rating column per pefa_rating item

TABLES: dict[str, list[tuple[str, str]]] = {
    "rule_sets": [
        ("rule_set", "varchar"), ("rule_set_no", "integer"), ("applies_to", "varchar"), ("title", "varchar"),
        ("source_document", "varchar"), ("total", WEIGHT), ("unscored_items", "varchar"),
        ("grade_bands", "varchar"), ("judgment_sources", "varchar"), ("judged_by_reviewer", "boolean"),
        ("judged_by_self", "boolean"), ("reviewer_first", "boolean"), ("notes", "varchar"), ("file", "varchar"),
        ("digest", "varchar"),
    ],
    "rule_set_items": [
        ("rule_set", "varchar"), ("item_no", "integer"), ("dimension_no", "integer"), ("dimension", "varchar"),
        ("dimension_weight", WEIGHT), ("item", "varchar"), ("rule", "varchar"), ("figure", "varchar"),
        ("weight", WEIGHT), ("stated_figure", "varchar"), ("target", PARAMETER), ("standard", PARAMETER),
        ("points_per_point", PARAMETER), ("self_dimension", "varchar"), ("include_unclassified", "boolean"),
        ("scale_to_weight", "boolean"), ("measure", "varchar"), ("window_years", "integer"),
        ("min_years", "integer"), ("rating_column", "varchar"), ("parameters", "varchar"), ("line", "integer"),
    ],
    "rule_set_grade_bands": [
        ("rule_set", "varchar"), ("band_no", "integer"), ("grade", "varchar"), ("lower_bound", WEIGHT),
        ("lower_closed", "boolean"), ("upper_bound", WEIGHT), ("upper_closed", "boolean"), ("interval_text", "varchar"),
    ],
    "rule_set_qualitative_bands": [
        ("rule_set", "varchar"), ("item", "varchar"), ("band_no", "integer"), ("level", "varchar"),
        ("min_value", PARAMETER), ("share_lower", PARAMETER), ("share_upper", PARAMETER),
        ("computed_share", PARAMETER),
    ],
    "rule_set_pefa_ratings": [
        ("rule_set", "varchar"), ("item", "varchar"), ("rating_no", "integer"), ("rating", "varchar"),
        ("max_value", PARAMETER), ("max_closed", "boolean"), ("share", PARAMETER),
    ],
    "rule_set_item_levels": [("rule_set", "varchar"), ("item", "varchar"), ("level1", "varchar")],
}


def pefa_rating_columns(rule_sets: list[RuleSet]) -> dict[str, str]:
    """The pefa_<indicator>_rating column of every pefa_rating item of the rule sets, by item name: the
    item name's letters and digits (PI-1 总体支出执行 → pefa_pi1_rating), else its position; an item of the
    same name shares the column, a different item that would take a column already taken gets _2, _3 ..."""
    columns: dict[str, str] = {}
    for rs in rule_sets:
        for item in rs.items:
            if item.rule != "pefa_rating" or item.name in columns:
                continue
            stem = "".join(re.findall(r"[a-z0-9]+", item.name.lower())) or f"item{len(columns) + 1}"
            name, n = PEFA_COLUMN.format(stem), 1
            while name in columns.values():
                n += 1
                name = PEFA_COLUMN.format(f"{stem}_{n}")
            columns[item.name] = name
    return columns


def rule_set_digest(rs: RuleSet) -> str:
    return hashlib.sha256(rs.path.read_bytes()).hexdigest()


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def table_rows(rule_sets: list[RuleSet]) -> dict[str, list[tuple]]:
    """The rows of every table, in TABLES' column order (decimals as text: they are cast, never floats)."""
    ratings = pefa_rating_columns([rs for rs in rule_sets if rs.applies_to == "department"])
    rows: dict[str, list[tuple]] = {name: [] for name in TABLES}
    for number, rs in enumerate(rule_sets, start=1):
        sources = rs.judgment_sources
        rows["rule_sets"].append((
            rs.name, number, rs.applies_to, rs.title, rs.source_document, _text(rs.total), rs.unscored_items,
            "; ".join(f"{b.grade} {b.interval}" for b in rs.grade_bands), ", ".join(sources),
            "reviewer" in sources, "self" in sources,
            "reviewer" in sources and ("self" not in sources or sources.index("reviewer") < sources.index("self")),
            rs.notes, rs.path.name, rule_set_digest(rs),
        ))
        for band_no, band in enumerate(rs.grade_bands, start=1):
            i = band.interval
            rows["rule_set_grade_bands"].append((rs.name, band_no, band.grade, _text(i.lower), i.lower_closed,
                                                 _text(i.upper), i.upper_closed, str(i)))
        item_no = 0
        for dimension_no, dimension in enumerate(rs.dimensions, start=1):
            for item in dimension.items:
                item_no += 1
                p = item.params
                window = p.get("window_years")
                minimum = p.get("min_years")
                rows["rule_set_items"].append((
                    rs.name, item_no, dimension_no, dimension.name, _text(dimension.weight), item.name, item.rule,
                    item.figure, _text(item.weight), p.get("stated_figure"), _text(p.get("target")),
                    _text(p.get("standard")), _text(p.get("points_per_point")), p.get("self_dimension"),
                    p.get("include_unclassified", False) if item.rule == "indicator_completion" else None,
                    p.get("scale_to_weight", False) if item.rule == "indicator_completion" else None,
                    p.get("measure"), None if window is None else int(window),
                    None if minimum is None else int(minimum),
                    ratings.get(item.name) if rs.applies_to == "department" else None,
                    ", ".join(f"{k}={v}" for k, v in p.items() if k not in ("qualitative_bands", "ratings", "bands")),
                    item.line,
                ))
                bands = p.get("bands") or p.get("qualitative_bands") or ()
                for band_no, band in enumerate(bands, start=1):  # highest min_value first
                    rows["rule_set_qualitative_bands"].append((
                        rs.name, item.name, band_no, band.level, _text(band.min_value), _text(band.share_range[0]),
                        _text(band.share_range[1]), _text(band.computed_share)))
                for rating_no, rating in enumerate(p.get("ratings") or (), start=1):
                    rows["rule_set_pefa_ratings"].append((
                        rs.name, item.name, rating_no, rating.rating, _text(rating.max), rating.max_closed,
                        _text(rating.share)))
                for level in p.get("level1") or ():
                    rows["rule_set_item_levels"].append((rs.name, item.name, level))
    return rows


def write_rule_set_tables(con: duckdb.DuckDBPyConnection, rule_sets: list[RuleSet]) -> dict[str, int]:
    """Replace the reference.rule_set* tables with the rule sets; the row count of each table."""
    rows = table_rows(rule_sets)
    con.execute("create schema if not exists reference")
    for table, columns in TABLES.items():
        con.execute(f"create or replace table reference.{table} ("
                    + ", ".join(f"{name} {kind}" for name, kind in columns) + ")")
        if rows[table]:
            con.executemany(f"insert into reference.{table} values ({', '.join('?' * len(columns))})", rows[table])
    return {table: len(r) for table, r in rows.items()}


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = current_database() and "
                            "schema_name = 'reference' and table_name = ?", [table]).fetchone()[0])


def years_read_back_of(rule_sets: list[RuleSet]) -> int:
    """How many earlier years a year's scores read under these rule sets: one for the year-on-year change,
    window_years - 1 for a PEFA window."""
    windows = [int(i.params["window_years"]) - 1 for rs in rule_sets for i in rs.items if i.rule == "pefa_rating"]
    return max([1, *windows])


def rule_sets_years_read_back() -> int:
    """years_read_back_of the rule sets in the configured folder (2 when one cannot be read: its asset
    reports it with its file and line)."""
    from orchestration.scoring.rule_sets import load_rule_sets
    from orchestration.settings import warehouse_paths

    try:
        return years_read_back_of(load_rule_sets(warehouse_paths().rule_sets_dir))
    except Exception:  # noqa: BLE001 - reported by the rule_set_tables asset when it runs
        return 2


def files_fingerprint(rule_sets: list[RuleSet]) -> str:
    """rule_sets_fingerprint of these rule sets, before they are written."""
    rows = sorted((rs.name, rule_set_digest(rs)) for rs in rule_sets)
    return hashlib.sha256("\n".join(f"{name} {digest}" for name, digest in rows).encode()).hexdigest()


def rule_sets_changed(paths) -> bool:
    """Whether the rule sets in the configured folder differ from those the working database was scored
    with (an unreadable rule set counts as changed: its asset then reports it)."""
    from orchestration.scoring.rule_sets import load_rule_sets

    try:
        current = files_fingerprint(load_rule_sets(paths.rule_sets_dir))
    except Exception:  # noqa: BLE001
        return True
    if not paths.work_db.exists():
        return True
    con = duckdb.connect(str(paths.work_db), read_only=True)
    try:
        return rule_sets_fingerprint(con) != current
    finally:
        con.close()


def rule_sets_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """The digests of the rule sets written (by name): what the score models were built from."""
    if not _table_exists(con, "rule_sets"):
        return ""
    rows = con.execute("select rule_set, digest from reference.rule_sets order by rule_set").fetchall()
    return hashlib.sha256("\n".join(f"{name} {digest}" for name, digest in rows).encode()).hexdigest()
