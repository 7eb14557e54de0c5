-- Funding tables as stated, one row per row: a project form's 项目资金 or a department's funds by
-- source, amounts in 万元, with the execution rate computed beside the stated one.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    f.department_code,
    n.department_name,
    f.fiscal_year,
    f.entity_type,
    f.project_code,
    f.line_no,
    f.funding_source,
    f.initial_budget,
    f.final_budget,
    f.actual_spend,
    f.execution_rate,
    f.stated_execution_rate,
    f.stated_execution_rate_text,
    f.weight,
    f.self_score,
    f.self_score_text,
    f.source_unit,
    coalesce(d.is_synthetic, p.is_synthetic, false) as is_synthetic,
    f._source_file as source_file,
    f._source_row as source_row
from {{ ref('int_funding_lines__execution') }} as f
left join {{ ref('int_department_years') }} as d
    on d.department_code = f.department_code and d.fiscal_year = f.fiscal_year
    and f.entity_type = 'department'
left join {{ ref('stg_reports__project_forms') }} as p
    on p.department_code = f.department_code and p.fiscal_year = f.fiscal_year and p.project_code = f.project_code
left join {{ ref('int_department_names') }} as n
    on n.department_code = f.department_code and n.fiscal_year = f.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
