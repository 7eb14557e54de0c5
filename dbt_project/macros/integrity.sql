{# The columns' values as one text, 'a|b|c' (the failing rows of the integrity test, tests/generic/integrity.sql). #}
{% macro integrity_text(columns, alias=none) -%}
{%- set parts = [] -%}
{%- for column in columns -%}
{%- do parts.append("coalesce(cast(" ~ ((alias ~ ".") if alias else "") ~ column ~ " as " ~ dbt.type_string() ~ "), '')") -%}
{%- if not loop.last %}{% do parts.append("'|'") %}{% endif -%}
{%- endfor -%}
{{ dbt.concat(parts) if parts | length > 1 else parts[0] }}
{%- endmacro %}
