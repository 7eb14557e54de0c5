"""Quoting names and values into DuckDB SQL text."""


def sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"
