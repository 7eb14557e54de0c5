-- Every data-quality finding of the refresh, one row each, naming its source file, row and column,
-- with the stated and computed values as text and, where they are plain numbers, as decimals.
-- Figure findings never block publishing: they are part of what analysts receive.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
{% set checks = [
    'fnd_contract', 'fnd_stated_rate_mismatch', 'fnd_total_not_sum', 'fnd_stated_twice_differently',
    'fnd_unit_implausible', 'fnd_foreign_currency_amount', 'fnd_incomparable_units', 'fnd_partial_year_actual', 'fnd_growth_from_zero',
    'fnd_weights_not_sum', 'fnd_self_scores_not_sum', 'fnd_grade_outside_band',
    'fnd_control_ratio_over_standard', 'fnd_actual_written_as_target', 'fnd_budget_adjusted_to_spending',
    'fnd_zero_target', 'fnd_missing_file_kind',
    'fnd_indicator_score_mismatch', 'fnd_full_marks_withheld', 'fnd_score_coefficient_mismatch',
    'fnd_execution_score_mismatch', 'fnd_form_points_not_total', 'fnd_form_scores_not_total', 'fnd_scored_twice',
] %}
{#- The checks of forms that serve projects as well as departments name the project. -#}
{% set with_project = [
    'fnd_total_not_sum', 'fnd_stated_rate_mismatch', 'fnd_weights_not_sum', 'fnd_indicator_score_mismatch',
    'fnd_full_marks_withheld', 'fnd_score_coefficient_mismatch', 'fnd_execution_score_mismatch',
    'fnd_form_points_not_total', 'fnd_form_scores_not_total', 'fnd_scored_twice', 'fnd_zero_target',
    'fnd_partial_year_actual', 'fnd_actual_written_as_target', 'fnd_incomparable_units',
] %}
with findings as (
    {%- for check in checks %}
    select
        check_name, severity, department_code, fiscal_year, source_file, source_row, source_column, subject,
        {{ 'project_code' if check in with_project else 'null::string as project_code' }},
        stated_value, computed_value, message_zh, message_en
    from {{ ref(check) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    f.check_name,
    f.severity,
    f.department_code,
    coalesce(n.department_name, a.department_name) as department_name,
    f.fiscal_year,
    f.source_file,
    f.source_row,
    f.source_column,
    f.subject,
    f.project_code,
    cast(f.stated_value as string) as stated_value,
    cast(f.computed_value as string) as computed_value,
    {{ parse_number('cast(f.stated_value as ' ~ dbt.type_string() ~ ')') }} as stated_number,
    {{ parse_number('cast(f.computed_value as ' ~ dbt.type_string() ~ ')') }} as computed_number,
    f.message_zh,
    f.message_en,
    coalesce(d.is_synthetic, p.is_synthetic, false) as is_synthetic
from findings as f
left join {{ ref('int_department_years') }} as d
    on d.department_code = f.department_code and d.fiscal_year = f.fiscal_year
left join (
    select department_code, fiscal_year, bool_or(is_synthetic) as is_synthetic
    from {{ ref('stg_reports__project_forms') }}
    group by department_code, fiscal_year
) as p
    on p.department_code = f.department_code and p.fiscal_year = f.fiscal_year
-- the department-year's name; a finding of a year the department has no rows in (a quarantined file)
-- takes the department's latest name
left join {{ ref('int_department_names') }} as n
    on n.department_code = f.department_code and n.fiscal_year = f.fiscal_year
left join {{ ref('departments') }} as a
    on a.department_code = f.department_code
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
