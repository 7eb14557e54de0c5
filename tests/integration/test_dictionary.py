"""The data dictionary inside the published warehouse: DuckDB comments, meta.columns, Parquet metadata, and
the Excel workbooks built from it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import openpyxl
import pytest

from orchestration.dictionary import PUBLISHED_SCHEMAS, ColumnDoc, TableDoc, comment_text, load_dictionary
from orchestration.excel_export import UNIT_FORMATS, write_workbooks


def _published_columns(db: Path) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "select schema_name, table_name, column_name, c.comment, t.comment from duckdb_columns() c "
            "join duckdb_tables() t using (database_name, schema_name, table_name) "
            "where schema_name in (select unnest(?::varchar[])) order by all", [list(PUBLISHED_SCHEMAS)]).fetchall()
    finally:
        con.close()


def test_every_published_table_and_column_carries_its_comment_and_a_dictionary_row(bundled_warehouse) -> None:
    columns = _published_columns(bundled_warehouse.published_db)
    assert {schema for schema, *_ in columns} == set(PUBLISHED_SCHEMAS)
    uncommented = [f"{s}.{t}.{c}" for s, t, c, comment, _ in columns if not (comment or "").strip()]
    assert not uncommented, f"columns without a comment (document them in the YAML dictionary.py reads): {uncommented}"
    tables_uncommented = sorted({f"{s}.{t}" for s, t, _, _, table_comment in columns if not table_comment})
    assert not tables_uncommented, tables_uncommented
    rows = {(s, t, c): (label, description) for s, t, c, label, description in bundled_warehouse.query(
        "select table_schema, table_name, column_name, label_zh, description_en from meta.columns")}
    assert set(rows) == {(s, t, c) for s, t, c, _, _ in columns}
    assert all(label and description for label, description in rows.values())
    # The comment is the label and the description (and the unit), so DBeaver shows the Chinese name first.
    label, description, unit, comment = bundled_warehouse.query(
        "select label_zh, description_en, unit, c.comment from meta.columns m join duckdb_columns() c "
        "on c.schema_name = m.table_schema and c.table_name = m.table_name and c.column_name = m.column_name "
        "where m.table_name = 'department_execution' and m.column_name = 'final_budget'")[0]
    assert (label, unit) == ("最终预算", "万元") and comment == comment_text(label, description, unit)


def test_pattern_columns_get_their_own_label(bundled_warehouse) -> None:
    labels = dict(bundled_warehouse.query("select column_name, label_zh from meta.columns where table_name = "
                                          "'department_scores' and column_name like 'score\\_%' escape '\\' "
                                          "and column_name <> 'score_gap'"))
    assert len(labels) >= 6
    assert all(label == f"维度得分: {name.removeprefix('score_')}" for name, label in labels.items())


def test_every_documented_column_exists(bundled_warehouse) -> None:
    """No stale documentation: a documented column that no published table has is a mistake."""
    published = {(s, t, c) for s, t, c, *_ in _published_columns(bundled_warehouse.published_db)}
    tables = {(s, t) for s, t, _ in published}
    stale = [f"{key[0]}.{key[1]}.{name} ({doc.source.name})" for key, doc in load_dictionary().items()
             if key in tables for name, column in doc.columns.items()
             if not column.pattern and (key[0], key[1], name) not in published]
    assert not stale, stale


def test_every_parquet_file_carries_the_dictionary_of_its_columns(bundled_warehouse) -> None:
    folder = bundled_warehouse.publish_dir / "parquet"
    files = sorted(folder.glob("*/**/*.parquet"))
    assert len({path.relative_to(folder).parts[0] for path in files}) >= 15  # marts
    con = duckdb.connect()
    for path in files:
        metadata = dict(con.execute("select decode(key), decode(value) from parquet_kv_metadata(?)",
                                    [str(path)]).fetchall())
        columns = json.loads(metadata["columns"])
        names = [d[0] for d in con.execute("select * from read_parquet(?) limit 0", [str(path)]).description]
        assert [c["name"] for c in columns] == names, path
        assert all(c["label_zh"] and c["description_en"] for c in columns), path
        assert metadata["table_label_zh"] and metadata["table_description_en"] and metadata["publication_id"]


def test_the_duckdb_command_line_of_make_sql_opens_the_published_file(bundled_warehouse) -> None:
    """The published file is written in an older storage format that the DuckDB CLI package reads."""
    cli = Path(sys.executable).with_name("duckdb")
    out = subprocess.run([str(cli), "-readonly", "-list", "-noheader", str(bundled_warehouse.published_db), "-c",
                          "select label_zh from meta.columns where table_name = 'department_execution' "
                          "and column_name = 'execution_rate'"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["预算执行率"]


def test_a_pattern_matches_only_its_family() -> None:
    doc = TableDoc("marts", "t", "表", "table", Path("x.yml"),
                   {"score_<dimension>": ColumnDoc("score_<dimension>", "维度得分", "Score.", None, True)})
    assert doc.column("score_投入").label_zh == "维度得分: 投入"
    assert doc.column("total_score") is None and doc.column("score_") is None


def test_workbooks_have_both_header_rows_and_number_formats(bundled_warehouse) -> None:
    folder = bundled_warehouse.publish_dir / "xlsx"
    marts = [t for (t,) in bundled_warehouse.query("select distinct table_name from meta.columns "
                                                   "where table_schema = 'marts'")]
    assert sorted(p.stem for p in folder.glob("*.xlsx")) == sorted(marts)
    for mart in marts:
        expected = bundled_warehouse.query("select label_zh, column_name, unit, data_type from meta.columns where "
                                           "table_schema = 'marts' and table_name = ? order by column_index", [mart])
        book = openpyxl.load_workbook(folder / f"{mart}.xlsx", read_only=True)
        sheet = book.worksheets[0]
        rows = sheet.iter_rows(min_row=1, max_row=3)
        labels, names = ([c.value for c in row] for row in (next(rows), next(rows)))
        assert labels == [label for label, *_ in expected] and names == [name for _, name, *_ in expected], mart
        count = bundled_warehouse.query(f"select count(*) from marts.{mart}")[0][0]
        assert sheet.max_row == count + 2, mart
        assert book.sheetnames[1] == "字典 dictionary"
        book.close()
    book = openpyxl.load_workbook(folder / "department_execution.xlsx")
    sheet = book.worksheets[0]
    header = [c.value for c in sheet[2]]
    first = {name: sheet.cell(row=3, column=header.index(name) + 1) for name in
             ("final_budget", "execution_rate", "department_name")}
    assert first["final_budget"].number_format == UNIT_FORMATS["万元"] == "#,##0.00"
    assert first["execution_rate"].number_format == "0.00%"
    assert isinstance(first["final_budget"].value, (int, float)) and isinstance(first["execution_rate"].value, float)
    assert sheet.freeze_panes == "A3"


def test_a_mart_beyond_the_row_limit_is_named_in_the_note_not_written(bundled_warehouse, tmp_path: Path) -> None:
    written = write_workbooks(bundled_warehouse.published_db, tmp_path / "xlsx",
                              ["department_execution", "project_execution"], max_rows=100)
    assert written["department_execution"] is not None and written["project_execution"] is None
    assert not (tmp_path / "xlsx" / "project_execution.xlsx").exists()
    note = (tmp_path / "xlsx" / "README.txt").read_text(encoding="utf-8")
    assert "project_execution: not written" in note and "parquet/project_execution/" in note


@pytest.mark.parametrize("schema", PUBLISHED_SCHEMAS)
def test_each_schema_has_a_documentation_source(schema: str) -> None:
    assert any(key[0] == schema for key in load_dictionary())
