-- Funding-table lines as stated (a project form's 项目资金 or a department's funds by source), one row
-- per line, amounts in 万元, with the execution rate computed beside the stated one.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    department_code,
    fiscal_year,
    {{ entity_type_of() }} as entity_type,
    project_code,
    line_no,
    funding_source,
    initial_budget,
    final_budget,
    actual_spend,
    {{ exact_ratio('actual_spend', 'final_budget') }} as execution_rate,
    stated_execution_rate,
    stated_execution_rate_text,
    weight,
    self_score,
    self_score_text,
    unit as source_unit,
    _source_file,
    _source_row
from {{ ref('stg_reports__funding_sources') }}
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
