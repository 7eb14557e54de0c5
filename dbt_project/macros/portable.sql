{#
  SQL that DuckDB and Spark write differently, in one place: every model and macro calls these, and the
  engine's version is picked by adapter.dispatch (`duckdb__…`, `spark__…`; `default__…` when both agree).
  tools/spark_lint.py rejects the DuckDB-only forms anywhere else.

  Regular expressions: a pattern is given as written (RE2 and Java agree on the syntax used here: classes,
  groups, `(?:…)`, `\s`, `\.`) and rendered as a string literal for the engine: Spark reads a backslash in a
  literal as an escape ('\s' is 's'), DuckDB does not.
#}

{% macro sql_string(text) -%}
{{ return(adapter.dispatch('sql_string')(text)) }}
{%- endmacro %}

{% macro default__sql_string(text) -%}
'{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__sql_string(text) -%}
'{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{# Whether the whole text matches the pattern (NULL for NULL). #}
{% macro regexp_full_match(expr, pattern) -%}
{{ return(adapter.dispatch('regexp_full_match')(expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_full_match(expr, pattern) -%}
regexp_full_match({{ expr }}, {{ sql_string(pattern) }})
{%- endmacro %}

{% macro spark__regexp_full_match(expr, pattern) -%}
({{ expr }} rlike {{ sql_string('\\A(?:' ~ pattern ~ ')\\z') }})
{%- endmacro %}


{# Whether the pattern matches somewhere in the text (NULL for NULL). #}
{% macro regexp_contains(expr, pattern) -%}
{{ return(adapter.dispatch('regexp_contains')(expr, pattern)) }}
{%- endmacro %}

{% macro duckdb__regexp_contains(expr, pattern) -%}
regexp_matches({{ expr }}, {{ sql_string(pattern) }})
{%- endmacro %}

{% macro spark__regexp_contains(expr, pattern) -%}
({{ expr }} rlike {{ sql_string(pattern) }})
{%- endmacro %}


{# The text of one capture group of the first match ('' when there is none). #}
{% macro regexp_extract(expr, pattern, group=0) -%}
{{ return(adapter.dispatch('regexp_extract')(expr, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract(expr, pattern, group=0) -%}
regexp_extract({{ expr }}, {{ sql_string(pattern) }}, {{ group }})
{%- endmacro %}


{# The text with the first match of the pattern replaced by `replacement` (plain text: no group
   references, which the two engines write differently). DuckDB replaces the first match unless told
   'g'; Spark replaces every match, so the first is found by a lazy prefix. #}
{% macro regexp_replace_first(expr, pattern, replacement='') -%}
{%- if '\\' in replacement or '$' in replacement -%}
{{ exceptions.raise_compiler_error("regexp_replace_first: the replacement is plain text: " ~ replacement) }}
{%- endif -%}
{{ return(adapter.dispatch('regexp_replace_first')(expr, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regexp_replace_first(expr, pattern, replacement='') -%}
regexp_replace({{ expr }}, {{ sql_string(pattern) }}, {{ sql_string(replacement) }})
{%- endmacro %}

{% macro spark__regexp_replace_first(expr, pattern, replacement='') -%}
regexp_replace({{ expr }}, {{ sql_string('(?s)\\A(.*?)(?:' ~ pattern ~ ')') }}, {{ sql_string('$1' ~ replacement) }})
{%- endmacro %}


{# The text's length in bytes of UTF-8 (a text of ASCII only has as many bytes as characters). #}
{% macro byte_length(expr) -%}
{{ return(adapter.dispatch('byte_length')(expr)) }}
{%- endmacro %}

{% macro duckdb__byte_length(expr) -%}
strlen({{ expr }})
{%- endmacro %}

{% macro spark__byte_length(expr) -%}
octet_length({{ expr }})
{%- endmacro %}


{# The text split at every occurrence of a separator (plain text), as a list; list_item(list, i) reads
   item i (from 1) and list_length(list) counts them. #}
{% macro split_text(expr, separator) -%}
{{ return(adapter.dispatch('split_text')(expr, separator)) }}
{%- endmacro %}

{% macro duckdb__split_text(expr, separator) -%}
string_split({{ expr }}, {{ sql_string(separator) }})
{%- endmacro %}

{% macro spark__split_text(expr, separator) -%}
split({{ expr }}, {{ sql_string(modules.re.escape(separator)) }}, -1)
{%- endmacro %}

{% macro list_item(list, index) -%}
{{ return(adapter.dispatch('list_item')(list, index)) }}
{%- endmacro %}

{% macro duckdb__list_item(list, index) -%}
{{ list }}[{{ index }}]
{%- endmacro %}

{% macro spark__list_item(list, index) -%}
element_at({{ list }}, {{ index }})
{%- endmacro %}

{% macro list_length(list) -%}
{{ return(adapter.dispatch('list_length')(list)) }}
{%- endmacro %}

{% macro duckdb__list_length(list) -%}
len({{ list }})
{%- endmacro %}

{% macro spark__list_length(list) -%}
size({{ list }})
{%- endmacro %}


{# A FROM-clause join giving each row of `relation` one row per number 1..count_expr, in `column`. #}
{% macro join_numbers_up_to(relation, count_expr, column) -%}
{{ return(adapter.dispatch('join_numbers_up_to')(relation, count_expr, column)) }}
{%- endmacro %}

{% macro duckdb__join_numbers_up_to(relation, count_expr, column) -%}
cross join lateral (select unnest(generate_series(1, {{ count_expr }})) as {{ column }})
{%- endmacro %}

{% macro spark__join_numbers_up_to(relation, count_expr, column) -%}
lateral view explode(sequence(1, {{ count_expr }})) {{ relation }}_numbers as {{ column }}
{%- endmacro %}


{# The non-NULL values of a group joined by `separator` (plain text, quoted here), in the order of
   `order_by`: one expression or a list of them, each ascending with NULLs last, then ties by value; the
   value itself when none. Each value once when `distinct` (ordered by itself). NULL when there is none.
   Spark's aggregate has no ORDER BY: (keys, value) structs are collected, sorted and joined; a key's
   NULL flag goes before it, so NULLs sort last there too. #}
{% macro text_agg(value, separator, order_by=none, distinct=false) -%}
{%- set keys = [] if order_by is none else ([order_by] if order_by is string else order_by) -%}
{%- if distinct and keys and keys != [value] -%}
{{ exceptions.raise_compiler_error("text_agg: distinct values are ordered by themselves, not by " ~ keys) }}
{%- endif -%}
{{ return(adapter.dispatch('text_agg')(value, separator, keys | reject('equalto', value) | list, distinct)) }}
{%- endmacro %}

{% macro duckdb__text_agg(value, separator, keys, distinct) -%}
string_agg({{ 'distinct ' if distinct }}{{ value }}, {{ sql_string(separator) }} order by
{%- for key in keys %} {{ key }} nulls last,{% endfor %} {{ value }})
{%- endmacro %}

{% macro spark__text_agg(value, separator, keys, distinct) -%}
{%- set collect = 'collect_set' if distinct else 'collect_list' -%}
case when count({{ value }}) > 0 then
{% if not keys -%}
array_join(array_sort({{ collect }}({{ value }})), {{ sql_string(separator) }})
{%- else -%}
array_join(transform(array_sort({{ collect }}(case when ({{ value }}) is not null then named_struct(
    {%- for key in keys %}'n{{ loop.index }}', ({{ key }}) is null, 'k{{ loop.index }}', {{ key }}, {% endfor -%}
    'v', {{ value }}) end)), x -> x.v), {{ sql_string(separator) }})
{%- endif %} end
{%- endmacro %}

{% macro default__text_agg(value, separator, keys, distinct) -%}
{{ dbt.listagg(value, sql_string(separator), 'order by ' ~ (keys + [value]) | join(', ')) }}
{%- endmacro %}


{# The sum of decimals of scale `scale` as DECIMAL(38, scale), on every engine: DuckDB's sum is 38 digits wide,
   Spark's 10 digits wider than its input. #}
{% macro decimal_sum(expr, scale=6) -%}
cast(sum({{ expr }}) as decimal(38, {{ scale }}))
{%- endmacro %}


{# A decimal as text, in plain notation with its scale's decimals ('0.00000000', '0.0000000650'). Spark
   prints a value under 10^-6 in scientific notation ('0E-8', '6.50E-8'); 1 added to its absolute value
   prints plainly, and the leading 1 becomes the 0. #}
{% macro decimal_text(expr) -%}
{{ return(adapter.dispatch('decimal_text')(expr)) }}
{%- endmacro %}

{% macro default__decimal_text(expr) -%}
cast({{ expr }} as string)
{%- endmacro %}

{% macro spark__decimal_text(expr) -%}
case when abs({{ expr }}) < 0.000001
     then (case when {{ expr }} < 0 then '-' else '' end) || '0' || substr(cast(abs({{ expr }}) + 1 as string), 2)
     else cast({{ expr }} as string) end
{%- endmacro %}


{# The text without the given characters at its end. Spark's two-argument rtrim takes them first. #}
{% macro trim_trailing(expr, characters) -%}
{{ return(adapter.dispatch('trim_trailing')(expr, characters)) }}
{%- endmacro %}

{% macro duckdb__trim_trailing(expr, characters) -%}
rtrim({{ expr }}, {{ sql_string(characters) }})
{%- endmacro %}

{% macro spark__trim_trailing(expr, characters) -%}
trim(trailing {{ sql_string(characters) }} from {{ expr }})
{%- endmacro %}
