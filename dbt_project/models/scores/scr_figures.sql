-- depends_on: {{ ref('department_indicators') }}
-- depends_on: {{ ref('project_forms') }}
-- depends_on: {{ source('rule_sets', 'rule_set_items') }}
-- The figures the rule sets read, one row per entity, year and figure (long form): the columns of
-- marts.department_indicators (department rule sets) and marts.project_forms (project rule sets) that
-- reference.rule_set_items names, listed when dbt compiles (macros/scores.sql: rule_set_figures).
{%- set parts = [] %}
{%- for figure in rule_set_figures('department') %}
{%- do parts.append("select 'department' as entity_type, department_code as entity_code, department_code, "
    ~ "fiscal_year, '" ~ figure ~ "' as figure, cast(" ~ adapter.quote(figure) ~ " as decimal(28,10)) as figure_value from "
    ~ ref('department_indicators')) %}
{%- endfor %}
{%- for figure in rule_set_figures('project') %}
{%- do parts.append("select 'project' as entity_type, " ~ dbt.concat(["department_code", "'/'", "project_code"])
    ~ " as entity_code, department_code, fiscal_year, '" ~ figure ~ "' as figure, cast(" ~ adapter.quote(figure)
    ~ " as decimal(28,10)) as figure_value from " ~ ref('project_forms')) %}
{%- endfor %}
{%- if not parts %}
{%- do parts.append("select cast(null as " ~ dbt.type_string() ~ ") as entity_type, cast(null as "
    ~ dbt.type_string() ~ ") as entity_code, cast(null as " ~ dbt.type_string() ~ ") as department_code, "
    ~ "cast(null as integer) as fiscal_year, cast(null as "
    ~ dbt.type_string() ~ ") as figure, cast(null as decimal(28,10)) as figure_value where 1 = 0") %}
{%- endif %}
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
{{ parts | join('\nunion all\n') }}
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
