{#
  Helpers of the score models (models/scores/): exact decimal arithmetic and the texts of the
  explanations, as the scoring rules write them (docs/scoring.md).
#}

{# A decimal as text without trailing zeros (8.5000 -> 8.5, 8.0000 -> 8, 100 -> 100); '—' for null. #}
{% macro fmt(value) -%}
(case when ({{ value }}) is null then '—' else {{ strip_zeros(decimal_text(value)) }} end)
{%- endmacro %}

{% macro strip_zeros(text) -%}
(case when {{ text }} like '%.%'
      then {{ regexp_replace_first(regexp_replace_first(text, '0+$'), '[.]$') }}
      else {{ text }} end)
{%- endmacro %}

{# A text quoted as Python's repr() quotes it: 'text', or "text" when it holds a ' and no "; None for null. #}
{% macro pyrepr(text) -%}
{%- set escaped = escape_backslashes(text) -%}
(case when ({{ text }}) is null then 'None'
      when ({{ text }}) like '%''%' and ({{ text }}) not like '%"%' then {{ dbt.concat(["chr(34)", escaped, "chr(34)"]) }}
      else {{ dbt.concat(["chr(39)", "replace(" ~ escaped ~ ", chr(39), " ~ dbt.concat(["chr(92)", "chr(39)"]) ~ ")", "chr(39)"]) }} end)
{%- endmacro %}

{# Backslashes doubled and line breaks and tabs written as \n, \r, \t (chr(92) is a backslash). #}
{% macro escape_backslashes(text) -%}
replace(replace(replace(replace({{ text }}, chr(92), {{ dbt.concat(["chr(92)", "chr(92)"]) }}),
  chr(10), {{ dbt.concat(["chr(92)", "'n'"]) }}), chr(13), {{ dbt.concat(["chr(92)", "'r'"]) }}),
  chr(9), {{ dbt.concat(["chr(92)", "'t'"]) }})
{%- endmacro %}

{# Points: a decimal rounded half-up (away from zero) to 4 places. #}
{% macro points(value) -%}
cast(round({{ value }}, 4) as decimal(18,4))
{%- endmacro %}

{# Capped points: the value rounded to 4 places, then held between 0 and the weight. #}
{% macro capped(weight, value) -%}
(case when {{ points(value) }} > ({{ weight }}) then {{ points(weight) }}
      when {{ points(value) }} < 0 then cast(0 as decimal(18,4))
      else {{ points(value) }} end)
{%- endmacro %}

{#
  num / den rounded half-up (away from zero) to 4 places, exactly: a division of decimals gives a
  double on DuckDB, so the double quotient is only a first guess, corrected by exact decimal
  comparisons (it is never more than one step of 0.0001 off). Null when den is zero or null.
#}
{% macro div_half_up(num, den) -%}
{%- set a = 'abs(' ~ num ~ ')' -%}
{%- set b = 'abs(' ~ den ~ ')' -%}
{%- set q = 'cast(round(cast(' ~ a ~ ' as double) / cast(' ~ b ~ ' as double), 4) as decimal(38,4))' -%}
(case when ({{ den }}) = 0 or ({{ num }}) is null or ({{ den }}) is null then null
      else cast((case when (({{ num }}) < 0) <> (({{ den }}) < 0) then -1 else 1 end)
           * (case when ({{ q }} + 0.00005) * {{ b }} <= {{ a }} then {{ q }} + 0.0001
                   when ({{ q }} - 0.00005) * {{ b }} > {{ a }} then {{ q }} - 0.0001
                   else {{ q }} end) as decimal(18,4)) end)
{%- endmacro %}

{# num / den, capped between 0 and the weight, in points. #}
{% macro capped_div(weight, num, den) -%}
(case when {{ div_half_up(num, den) }} > ({{ weight }}) then {{ points(weight) }}
      when {{ div_half_up(num, den) }} < 0 then cast(0 as decimal(18,4))
      else {{ div_half_up(num, den) }} end)
{%- endmacro %}

{#
  The rows of a query on the rule-set tables at compile time (run_query), as a list of rows; empty
  while dbt parses or when the tables are not written yet (the Dagster asset reference/rule_sets
  writes them before dbt builds).
#}
{% macro rule_set_query(sql) -%}
{%- if not execute or not rule_set_tables_exist() -%}{{ return([]) }}{%- endif -%}
{{ return(run_query(sql).rows) }}
{%- endmacro %}

{#- Whether the rule-set tables exist. On DuckDB they are the working database's own tables. On Spark they are
    views over Parquet that every invocation creates at its start (macros/spark_sources.sql), after dbt
    cached the catalog: they exist whenever a model compiles, and the cache does not know them. -#}
{% macro rule_set_tables_exist() -%}
{{ return(adapter.dispatch('rule_set_tables_exist')()) }}
{%- endmacro %}

{% macro default__rule_set_tables_exist() -%}
{{ return(adapter.get_relation(database=target.database, schema='reference', identifier='rule_set_items') is not none) }}
{%- endmacro %}

{% macro spark__rule_set_tables_exist() -%}
{{ return(true) }}
{%- endmacro %}

{# The score_<dimension> columns of a kind (department, project): every dimension of its rule sets, in order. #}
{% macro score_dimensions(kind) -%}
{%- set rows = rule_set_query(
    "select i.dimension from reference.rule_set_items i join reference.rule_sets s on s.rule_set = i.rule_set "
    ~ "where s.applies_to = '" ~ kind ~ "' group by i.dimension order by min(s.rule_set_no * 100000 + i.dimension_no)") -%}
{{ return(rows | map(attribute=0) | list) }}
{%- endmacro %}

{# The pefa_<indicator>_rating columns of the department rule sets, in order. #}
{% macro pefa_rating_columns() -%}
{%- set rows = rule_set_query(
    "select i.rating_column from reference.rule_set_items i join reference.rule_sets s on s.rule_set = i.rule_set "
    ~ "where i.rating_column is not null group by i.rating_column "
    ~ "order by min(s.rule_set_no * 100000 + i.item_no)") -%}
{{ return(rows | map(attribute=0) | list) }}
{%- endmacro %}

{# The figures the rule sets of a kind read (figure and stated_figure). #}
{% macro rule_set_figures(kind) -%}
{%- set rows = rule_set_query(
    "select figure from (select i.figure from reference.rule_set_items i join reference.rule_sets s "
    ~ "on s.rule_set = i.rule_set where s.applies_to = '" ~ kind ~ "' and i.figure is not null "
    ~ "union select i.stated_figure from reference.rule_set_items i join reference.rule_sets s "
    ~ "on s.rule_set = i.rule_set where s.applies_to = '" ~ kind ~ "' and i.stated_figure is not null) f "
    ~ "order by figure") -%}
{{ return(rows | map(attribute=0) | list) }}
{%- endmacro %}

{# The select of department_scores or project_scores: scr_entity_scores with the dimensions pivoted. #}
{% macro entity_scores_select(kind) -%}
{%- set dimensions = score_dimensions(kind) -%}
{%- set ratings = pefa_rating_columns() if kind == 'department' else [] -%}
select
    s.department_code, s.department_name,
    {%- if kind == 'project' %} s.project_code, s.entity_name as project_name,{% endif %}
    s.fiscal_year, s.rule_set,
    {%- for dimension in dimensions %}
    cast(max(case when d.dimension = '{{ dimension }}' then d.dimension_score end) as decimal(14,4))
        as {{ adapter.quote('score_' ~ dimension) }},
    {%- endfor %}
    cast(s.total_score as decimal(14,4)) as total_score, s.grade, s.self_score, s.self_grade, s.score_gap,
    cast(s.rank_in_year as integer) as rank_in_year, cast(s.yoy_change as decimal(14,4)) as yoy_change,
    {%- if kind == 'department' %}
    s.pefa_ratings,
    {%- for column in ratings %}
    max(case when i.rating_column = '{{ column }}' then i.rating end) as {{ column }},
    {%- endfor %}
    {%- endif %}
    cast(s.unscored_items as integer) as unscored_items, s.is_synthetic
from {{ ref('scr_entity_scores') }} as s
left join {{ ref('scr_dimension_scores') }} as d
    on d.entity_type = s.entity_type and d.entity_code = s.entity_code and d.fiscal_year = s.fiscal_year
    and d.rule_set = s.rule_set
{%- if kind == 'department' %}
left join (
    select r.entity_code, r.fiscal_year, r.rule_set, ri.rating_column, r.rating
    from {{ ref('scr_item_scores') }} as r
    join {{ source('rule_sets', 'rule_set_items') }} as ri on ri.rule_set = r.rule_set and ri.item = r.item
    where r.entity_type = 'department' and r.rating is not null and ri.rating_column is not null
) as i on i.entity_code = s.entity_code and i.fiscal_year = s.fiscal_year and i.rule_set = s.rule_set
{%- endif %}
where s.entity_type = '{{ kind }}'
group by all
{%- endmacro %}
