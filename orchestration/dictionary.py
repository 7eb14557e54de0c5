"""The data dictionary of the published warehouse, from the YAML files that document every table.

One description per table and column, written once in YAML (a Chinese label, an English description and,
where one applies, a unit), reaches the analyst in three places at each publication:
- as DuckDB comments (`COMMENT ON TABLE/COLUMN`: DBeaver, the DuckDB CLI's `.schema`, `duckdb_columns()`);
- as rows of `meta.columns` (schema, table, column, type, label, description, unit);
- as key-value metadata of each mart's Parquet file (pandas, pyarrow, Power Query, `parquet_kv_metadata`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from orchestration.contract import PROJECT_ROOT
from orchestration.sql import sql_name, sql_text
from orchestration.yaml_files import read_yaml

# Where each published schema's tables are documented: (schema, file, top-level key of the file).
SOURCES = (
    ("marts", PROJECT_ROOT / "dbt_project" / "models" / "marts" / "_marts.yml", "models"),
    ("marts", PROJECT_ROOT / "dbt_project" / "models" / "scores" / "_scores.yml", "models"),
    ("reference", PROJECT_ROOT / "dbt_project" / "seeds" / "_seeds.yml", "seeds"),
    # The rule-set tables (reference.rule_set*), a dbt source: its tables are the entries.
    ("reference", PROJECT_ROOT / "dbt_project" / "models" / "scores" / "_rule_sets__sources.yml", "sources"),
    ("meta", PROJECT_ROOT / "orchestration" / "meta_tables.yml", "tables"),
)
PUBLISHED_SCHEMAS = ("marts", "meta", "reference")


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    label_zh: str
    description_en: str
    unit: str | None = None
    pattern: bool = False  # the name stands for a family of columns: score_<dimension>

    def matches(self, column: str) -> str | None:
        """The part of `column` the pattern's <placeholder> stands for, when this is a pattern it matches."""
        if not self.pattern:
            return None
        regex = "^" + re.sub(r"<[^>]+>", "(.+)", re.escape(self.name)) + "$"
        found = re.match(regex, column)
        return found.group(1) if found else None


@dataclass(frozen=True)
class TableDoc:
    schema: str
    name: str
    label_zh: str
    description_en: str
    source: Path
    columns: dict[str, ColumnDoc] = field(default_factory=dict)

    def column(self, name: str) -> ColumnDoc | None:
        """The column's documentation; a pattern's (score_<dimension>) with the placeholder filled in."""
        if name in self.columns:
            return self.columns[name]
        for doc in self.columns.values():
            part = doc.matches(name)
            if part is not None:
                return ColumnDoc(name, f"{doc.label_zh}: {part}", f"{doc.description_en} This column: {part}.",
                                 doc.unit)
        return None


def _meta(entry: dict) -> dict:
    return ((entry.get("config") or {}).get("meta") or {}) | (entry.get("meta") or {})


def _text(value: object) -> str:
    return " ".join(str(value or "").split())


@cache
def load_dictionary() -> dict[tuple[str, str], TableDoc]:
    """Every documented published table, keyed (schema, table)."""
    tables: dict[tuple[str, str], TableDoc] = {}
    for schema, path, key in SOURCES:
        entries = read_yaml(path).get(key) or []
        if key == "sources":
            entries = [table for source in entries for table in source.get("tables") or []]
        for entry in entries:
            columns = {}
            for column in entry.get("columns") or []:
                meta = _meta(column)
                columns[column["name"]] = ColumnDoc(column["name"], _text(meta.get("label_zh")),
                                                    _text(column.get("description")),
                                                    _text(meta.get("unit")) or None, bool(meta.get("pattern")))
            tables[(schema, entry["name"])] = TableDoc(schema, entry["name"], _text(_meta(entry).get("label_zh")),
                                                       _text(entry.get("description")), path, columns)
    return tables


@dataclass(frozen=True)
class DictionaryRow:
    table_schema: str
    table_name: str
    table_label_zh: str
    column_name: str
    column_index: int
    data_type: str
    label_zh: str
    description_en: str
    unit: str | None


def dictionary_rows(con: duckdb.DuckDBPyConnection, database: str | None = None) -> list[DictionaryRow]:
    """One row per column of every table of the published schemas of `database` (default: the current
    one), with its documentation; empty labels where a column is undocumented (tests/integration/test_dictionary.py
    fails then)."""
    docs = load_dictionary()
    database = database or con.execute("select current_database()").fetchone()[0]
    found = con.execute(
        "select schema_name, table_name, column_name, column_index, data_type from duckdb_columns() "
        "where database_name = ? and schema_name in (select unnest(?::varchar[])) "
        "order by schema_name, table_name, column_index", [database, list(PUBLISHED_SCHEMAS)]).fetchall()
    rows = []
    for schema, table, column, index, data_type in found:
        table_doc = docs.get((schema, table))
        doc = table_doc.column(column) if table_doc else None
        rows.append(DictionaryRow(schema, table, table_doc.label_zh if table_doc else "", column, index, data_type,
                                  doc.label_zh if doc else "", doc.description_en if doc else "",
                                  doc.unit if doc else None))
    return rows


def comment_text(label_zh: str, description_en: str, unit: str | None = None) -> str:
    """The comment a table or column carries: '中文名 | English description [unit]'."""
    text = " | ".join(part for part in (label_zh, description_en) if part)
    return f"{text} [{unit}]" if unit else text


def _row_sql(values: tuple) -> str:
    return "(" + ", ".join("null" if v is None else str(v) if isinstance(v, int) else sql_text(str(v))
                           for v in values) + ")"


def write_dictionary(con: duckdb.DuckDBPyConnection) -> int:
    """Write meta.columns and comment every published table and column of the current database; returns
    the number of columns documented. Run inside the publication's transaction, after every table exists."""
    con.execute("drop table if exists meta.columns")
    con.execute("create table meta.columns (table_schema varchar, table_name varchar, table_label_zh varchar, "
                "column_name varchar, column_index integer, data_type varchar, label_zh varchar, "
                "description_en varchar, unit varchar)")
    rows = dictionary_rows(con)  # meta.columns included: it describes itself
    values = [(r.table_schema, r.table_name, r.table_label_zh, r.column_name, r.column_index, r.data_type,
               r.label_zh, r.description_en, r.unit) for r in rows]
    statements = [f"insert into meta.columns values {', '.join(_row_sql(v) for v in values)}"] if values else []
    docs = load_dictionary()
    for schema, table in sorted({(r.table_schema, r.table_name) for r in rows}):
        doc = docs.get((schema, table))
        if doc:
            statements.append(f"comment on table {sql_name(schema)}.{sql_name(table)} is "
                              f"{sql_text(comment_text(doc.label_zh, doc.description_en))}")
    statements += [f"comment on column {sql_name(r.table_schema)}.{sql_name(r.table_name)}.{sql_name(r.column_name)} "
                   f"is {sql_text(comment_text(r.label_zh, r.description_en, r.unit))}"
                   for r in rows if r.label_zh or r.description_en]
    con.execute(";\n".join(statements))  # one call: hundreds of statements cost little together
    return len(rows)


def parquet_metadata(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    """Key-value metadata for a table's Parquet file: the table's label and description, and its columns
    (name, label, description, unit) as JSON, read from meta.columns of the current database."""
    doc = load_dictionary().get((schema, table))
    columns = [{"name": name, "label_zh": label, "description_en": description, "unit": unit}
               for name, label, description, unit in con.execute(
                   "select column_name, label_zh, description_en, unit from meta.columns "
                   "where table_schema = ? and table_name = ? order by column_index", [schema, table]).fetchall()]
    return {
        "table_label_zh": doc.label_zh if doc else "",
        "table_description_en": doc.description_en if doc else "",
        "columns": json.dumps(columns, ensure_ascii=False),
    }


def kv_metadata_sql(metadata: dict[str, str]) -> str:
    """A DuckDB struct literal for COPY ... (kv_metadata {...})."""
    return "{" + ", ".join(f"{sql_text(key)}: {sql_text(value)}" for key, value in metadata.items()) + "}"
