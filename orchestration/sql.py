"""Quoting names and values into DuckDB SQL text, and what the catalog of the open database holds."""

import duckdb

from orchestration.settings import duckdb_memory_limit


def sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether the connection's current database has the table."""
    return bool(con.execute("select count(*) from duckdb_tables() where database_name = current_database() "
                            "and schema_name = ? and table_name = ?", [schema, table]).fetchall()[0][0])


def limit_memory(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Bound the memory of the connection's database (WAREHOUSE_DUCKDB_MEMORY_LIMIT). Set, not passed as
    connect(config=...): DuckDB refuses a second connection to an open file under a different configuration."""
    con.execute(f"set memory_limit = {sql_text(duckdb_memory_limit())}")
    return con
