{#
  An aggregate: the values of an integer column (fiscal years), distinct by the caller, as text joined
  by commas in ascending order ('2015,2016,2017'). DuckDB orders inside string_agg; Spark's
  collect_list keeps no order, so there the list is sorted (as text: right for numbers of as many
  digits, such as years); elsewhere dbt's listagg with an order by.
#}
{% macro ordered_list(column) -%}
{{ return(adapter.dispatch('ordered_list')(column)) }}
{%- endmacro %}

{% macro duckdb__ordered_list(column) -%}
string_agg(cast({{ column }} as string), ',' order by {{ column }})
{%- endmacro %}

{% macro spark__ordered_list(column) -%}
array_join(array_sort(collect_list(cast({{ column }} as string))), ',')
{%- endmacro %}

{% macro default__ordered_list(column) -%}
{{ dbt.listagg('cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')', "','", 'order by ' ~ column) }}
{%- endmacro %}
