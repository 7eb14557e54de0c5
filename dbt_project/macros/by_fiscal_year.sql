{#
  Tables partitioned by fiscal year: the `by_fiscal_year` materialization (intermediate and marts).

  Without refresh years (or with `--full-refresh`) the table is rebuilt whole. With
  WAREHOUSE_REFRESH_YEARS=2016 in the environment (or `--vars '{refresh_years: [2016]}'`) only
  the rows of those years, and of the years that read them
  (`years_read_forward`: next year's prior-year comparisons), are deleted and recomputed from the
  model's SQL. The table's comment records a digest of that SQL: a model whose SQL changed since the
  table was built is rebuilt whole, so that an incremental run never mixes two versions of a model.
#}

{% macro fiscal_years_to_refresh() %}
  {#- Read at run time from the environment, not from --vars: a changed var makes dbt parse the whole
      project again (3-4 s), an environment variable read only here does not. -#}
  {%- set listed = env_var('WAREHOUSE_REFRESH_YEARS', '') | trim -%}
  {%- set years = var('refresh_years', []) or (listed.split(',') if listed else []) -%}
  {%- if years | length == 0 -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set out = [] -%}
  {%- for year in years -%}
    {%- for ahead in range(0, var('years_read_forward') + 1) -%}
      {%- do out.append((year | int) + ahead) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(out | unique | sort) }}
{% endmacro %}


{#
  Where a staging model reads its raw table: `true` as compiled, which the materialization turns
  into a filter on the raw partition year when it refreshes some years only, so that only the
  rows of those years are parsed. (A filter outside the model's SQL is not pushed into its CTEs.)
#}
{% macro raw_years_to_refresh(alias) -%}
true /* by_fiscal_year: {{ alias }}._partition_year */
{%- endmacro %}


{% macro built_from_digest(relation) %}
  {%- set found = run_query(
      "select comment from duckdb_tables() where database_name = '" ~ relation.database ~ "' and schema_name = '"
      ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'") -%}
  {%- if found is none or found.rows | length == 0 or found.rows[0][0] is none -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return(found.rows[0][0] | replace('dbt by_fiscal_year ', '')) }}
{% endmacro %}


{% materialization by_fiscal_year, adapter='duckdb' %}
  {%- set existing = load_cached_relation(this) -%}
  {%- set target = this.incorporate(type='table') -%}
  {%- set years = fiscal_years_to_refresh() -%}
  {%- set digest = local_md5(compiled_code) -%}
  {%- set incremental = existing is not none and existing.is_table and years is not none
                        and not should_full_refresh() and built_from_digest(target) == digest -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}
  {% if incremental %}
    {%- set year_list = years | join(', ') -%}
    {%- set column = config.get('fiscal_year_column', 'fiscal_year') -%}
    {#- Rows of no fiscal year (findings about the raw folder itself) are recomputed by every refresh. -#}
    {%- set code = modules.re.sub('true /\\* by_fiscal_year: (\\w+)\\._partition_year \\*/',
                                  '(\\1._partition_year in (' ~ year_list ~ ') or \\1._partition_year is null)',
                                  compiled_code) -%}
    {% call statement('delete_years') -%}
      delete from {{ target }} where {{ column }} in ({{ year_list }}) or {{ column }} is null
    {%- endcall %}
    {% call statement('main') -%}
      insert into {{ target }}
      select * from ({{ code }}) as refreshed where {{ column }} in ({{ year_list }}) or {{ column }} is null
    {%- endcall %}
  {% else %}
    {% if existing is not none and not existing.is_table %}
      {{ drop_relation_if_exists(existing) }}
    {% endif %}
    {% call statement('main') -%}
      create or replace table {{ target }} as ({{ compiled_code }})
    {%- endcall %}
    {% call statement('record_digest') -%}
      comment on table {{ target }} is 'dbt by_fiscal_year {{ digest }}'
    {%- endcall %}
  {% endif %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
  {{ return({'relations': [target]}) }}
{% endmaterialization %}
