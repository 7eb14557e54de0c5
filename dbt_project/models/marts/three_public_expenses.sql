-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    department_code,
    d.department_name,
    fiscal_year,
    line_no,
    category,
    category_name,
    line_type,
    budget,
    actual,
    usage_rate,
    stated_usage_rate,
    stated_usage_rate_text,
    saving,
    stated_saving,
    prior_year_actual,
    prior_year_basis,
    yoy_change,
    stated_yoy_change,
    yoy_change_rate,
    stated_yoy_change_rate,
    stated_yoy_change_rate_text,
    components_budget,
    components_actual,
    source_unit,
    d.is_synthetic,
    _source_file as source_file,
    _source_row as source_row
from {{ ref('int_three_public__with_prior') }}
join {{ ref('int_department_years') }} as d using (department_code, fiscal_year)
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
