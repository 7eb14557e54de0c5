-- Budget lines (item rows) with the warehouse's own variance and execution rate beside the stated ones.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    department_code,
    fiscal_year,
    line_no,
    project_name,
    coalesce(expenditure_type, 'project') as expenditure_type,
    economic_class,
    initial_budget,
    budget_adjustment,
    final_budget,
    actual_spend,
    actual_spend - final_budget as variance,
    stated_variance,
    {{ exact_ratio('actual_spend', 'final_budget') }} as execution_rate,
    stated_execution_rate,
    stated_execution_rate_text,
    variance_reason,
    unit as source_unit,
    _source_file,
    _source_row
from {{ ref('stg_reports__budget_lines') }}
where line_type = 'item'
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
