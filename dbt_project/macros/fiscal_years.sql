{#
  Incremental refresh by fiscal year and department, with dbt's own `incremental` materialization: a
  pre-hook deletes the refresh slices, its `append` strategy inserts them again (dbt_project.yml).
  The departments: orchestration/refresh_scope.py (the ones the load found changed, or all).

  Which years: the Dagster partition range of the run, passed as dbt's documented run-time flags
  `--event-time-start` / `--event-time-end` (e.g. 2016-01-01 and 2018-01-01 for 2016-2017). They are
  read here through `invocation_args_dict`: unlike `--vars`, a changed flag does not make dbt parse the
  whole project again (measured: 5.1 s against 2.5 s; docs/design-issue13.md). Without them (a
  plain `dbt build`) every year is rebuilt, as is a table that does not exist yet (is_incremental()
  false) and every model under `--full-refresh`.

  The rule for a model: its year filter applies to its *output* rows (`where {{ in_refresh_years(...) }}`
  around its final select), so a model that reads other years of its inputs (the prior year, a rolling
  window) reads them whole. Such a model declares it (`meta: {reads_prior_years: N}`), which gives its
  Dagster asset a TimeWindowPartitionMapping(start_offset=-N) on its inputs: the next N years of it are
  then refreshed after a change of a year (orchestration/assets/transform.py). A model that reads only the
  years it writes may filter its input too, where DuckDB would not push the output filter through a window
  or a correlated subquery and would compute every year to keep four (int_indicators__completion: 17.3 s
  for every year, 14.5 s for four, at 100,000 department-years).

  The same rule for departments, with one more requirement: a model's rows of a department are computed
  from that department's input rows only (any years of them), so that rewriting the departments in scope
  from their own inputs gives what a full build gives (tests/pipeline/test_incremental.py). A model that
  reads across departments (a rank in the year, a summary of every department) is a plain table, rebuilt
  whole: the score models and marts.departments.
#}

{% macro refresh_years() %}
  {%- set args = invocation_args_dict or {} -%}
  {%- set start = args.get('event_time_start') -%}
  {%- set end = args.get('event_time_end') -%}
  {%- if not start or not end -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set first = (start | string)[:4] | int -%}
  {%- set last = (end | string)[:4] | int -%}
  {%- set end_is_new_year = (end | string)[4:10] == '-01-01' -%}
  {{ return(range(first, last if end_is_new_year else last + 1) | list) }}
{% endmacro %}


{#- The departments of the refresh years this build rewrites (orchestration/refresh_scope.py: the ones the
    load found changed), read from raw._refresh_scope when the model compiles, so that each model gets them
    as constants DuckDB pushes into every scan; none: every department. -#}
{% macro refresh_departments() %}
  {#- The scope lives in the DuckDB working database; another engine (Spark) builds whole tables. -#}
  {%- if not execute or target.type != 'duckdb' -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set codes = run_query("select department_code from raw._refresh_scope order by department_code nulls first")
      .columns[0].values() | list -%}
  {%- if codes and codes[0] is none -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return(codes) }}
{% endmacro %}


{#- `true` on a full build; on an incremental one, the rows of the refresh years and the rows of no
    year (findings about the raw folder itself, which every refresh recomputes), of the departments in the
    refresh scope and of no department (rows that name none, few, rewritten with their years). -#}
{% macro in_refresh_years(column, department='department_code') -%}
  {%- set slices = refresh_slices(column, department) if is_incremental() else none -%}
{{ slices if slices is not none else 'true' }}
{%- endmacro %}


{#- The condition on a row of the refresh slices (see in_refresh_years); none when the run has no refresh
    years (a plain `dbt build`: every row). -#}
{% macro refresh_slices(column, department='department_code') -%}
  {%- set years = refresh_years() -%}
  {%- if years is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set departments = refresh_departments() -%}
  {%- set condition -%}
({{ column }} is null or ({{ column }} in ({{ years | join(', ') }})
    {%- if departments is not none %} and ({{ department }} is null
      {%- if departments %} or {{ department }} in ({% for code in departments %}'{{ code | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor %}){% endif %})
    {%- endif %}))
  {%- endset -%}
  {{ return(condition) }}
{%- endmacro %}


{#- The rows an integrity test of `model` reads (tests/generic/integrity.sql): on an incremental build
    narrowed to some departments, only the model's slices this build rewrote, when the model is built by
    slice (incremental, with department_code and fiscal_year columns); its other rows are those the last
    build wrote and tested. Otherwise (a full build, --full-refresh, a table rebuilt whole) every row. -#}
{% macro tested_slices(model) -%}
  {%- if not execute or flags.FULL_REFRESH or refresh_departments() is none -%}
    {{ return(none) }}
  {%- endif -%}
  {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
      | selectattr('alias', 'equalto', model.identifier) | selectattr('schema', 'equalto', model.schema) | list -%}
  {%- if nodes | length != 1 or nodes[0].config.materialized != 'incremental'
      or 'fiscal_year' not in nodes[0].columns or 'department_code' not in nodes[0].columns -%}
    {{ return(none) }}
  {%- endif -%}
  {{ return(refresh_slices('fiscal_year')) }}
{%- endmacro %}


{#- Where a staging model reads its raw table: only the raw rows of the refresh years and departments are
    parsed (a filter outside the model's SQL is not pushed into its CTEs). -#}
{% macro raw_years_to_refresh(alias) -%}
{{ in_refresh_years(alias ~ '._partition_year', "nullif(trim(" ~ alias ~ ".department_code), '')") }}
{%- endmacro %}


{#- pre-hook of every incremental model: delete the refresh slices first (their years, of the departments
    in scope), then the model's rows of them are appended (incremental_strategy append). An incremental run
    without the refresh years (a plain `dbt run` on built tables) rebuilds every row: all are deleted. -#}
{% macro delete_refresh_years(column) -%}
  {%- if is_incremental() -%}
delete from {{ this }} where {{ in_refresh_years(column) }}
  {%- endif -%}
{%- endmacro %}
