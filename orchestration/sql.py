"""Quoting names and values into DuckDB SQL text, and what the catalog of the open database holds."""

import duckdb


def sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether the connection's current database has the table."""
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = current_database() "
                            "and schema_name = ? and table_name = ?", [schema, table]).fetchall()[0][0])
