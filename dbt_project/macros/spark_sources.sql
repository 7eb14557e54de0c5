{#
  The sources on Spark: each raw and rule-set table is a view over its Parquet files, written by the
  Dagster load beside the working database (var spark_raw_dir, from WAREHOUSE_SPARK_RAW): Hive-style
  folders by fiscal year (`_partition_year=<year>`) for the raw tables, one file for the rule sets.
  Created at the start of every dbt invocation (on-run-start). On DuckDB the sources are the working
  database's own tables: nothing to do.
#}
{% macro create_source_views() -%}
{{ return(adapter.dispatch('create_source_views')()) }}
{%- endmacro %}

{% macro default__create_source_views() -%}
select 1
{%- endmacro %}

{% macro spark__create_source_views() -%}
{%- if execute -%}
{%- set root = env_var('WAREHOUSE_SPARK_RAW', '../data/work/spark-raw') -%}
{%- set statements = [] -%}
{%- for node in graph.sources.values() -%}
    {%- do statements.append('create database if not exists ' ~ node.schema) -%}
    {%- do statements.append('create or replace view ' ~ node.schema ~ '.' ~ node.identifier
        ~ ' as select * from parquet.`' ~ root ~ '/' ~ node.schema ~ '/' ~ node.identifier ~ '`') -%}
{%- endfor -%}
{%- for statement in statements | unique -%}
    {%- do run_query(statement) -%}
{%- endfor -%}
{%- endif -%}
select 1
{%- endmacro %}
