{#
  Incremental refresh by fiscal year, with dbt's own `incremental` materialization and its
  `delete+insert` strategy (dbt_project.yml: unique_key is the fiscal-year column).

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


{#- `true` on a full build; on an incremental one, the rows of the refresh years and the rows of no
    year (findings about the raw folder itself, which every refresh recomputes). -#}
{% macro in_refresh_years(column) -%}
  {%- set years = refresh_years() -%}
  {%- if is_incremental() and years is not none -%}
({{ column }} in ({{ years | join(', ') }}) or {{ column }} is null)
  {%- else -%}
true
  {%- endif -%}
{%- endmacro %}


{#- Where a staging model reads its raw table: only the raw rows of the refresh years are parsed (a
    filter outside the model's SQL is not pushed into its CTEs). -#}
{% macro raw_years_to_refresh(alias) -%}
{{ in_refresh_years(alias ~ '._partition_year') }}
{%- endmacro %}


{#- pre-hook of every incremental model: delete the refresh years first. delete+insert alone deletes only
    the years the new rows hold, so a year that lost all its rows (its folder removed from data/raw) and
    the rows of no year would stay; after this, the strategy's own delete finds nothing to delete. -#}
{% macro delete_refresh_years(column) -%}
  {%- set years = refresh_years() -%}
  {%- if is_incremental() and years is not none -%}
delete from {{ this }} where {{ column }} in ({{ years | join(', ') }}) or {{ column }} is null
  {%- endif -%}
{%- endmacro %}
