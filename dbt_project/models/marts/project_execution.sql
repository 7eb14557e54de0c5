-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    e.department_code,
    d.department_name,
    e.fiscal_year,
    e.line_no,
    e.project_name,
    e.expenditure_type,
    e.economic_class,
    e.initial_budget,
    e.budget_adjustment,
    e.final_budget,
    e.actual_spend,
    e.variance,
    e.stated_variance,
    e.execution_rate,
    e.stated_execution_rate,
    e.stated_execution_rate_text,
    e.variance_reason,
    e.source_unit,
    d.is_synthetic,
    e._source_file as source_file,
    e._source_row as source_row
from {{ ref('int_budget_lines__execution') }} as e
join {{ ref('int_department_years') }} as d
    on d.department_code = e.department_code and d.fiscal_year = e.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
