-- One row per project self-evaluation form (项目支出绩效自评表) and year: funding by source, execution,
-- the execution item's stated and computed scores, the indicators' stated and recomputed score sums,
-- the stated and recomputed totals and grades, and the findings the form received.
select
    p.*,
    (select count(*) from {{ ref('data_quality_findings') }} as f
     where f.department_code = p.department_code and f.fiscal_year = p.fiscal_year
       and f.project_code = p.project_code) as finding_count,
    (select count(*) from {{ ref('data_quality_findings') }} as f
     where f.department_code = p.department_code and f.fiscal_year = p.fiscal_year
       and f.project_code = p.project_code and f.severity = 'error') as error_count
from {{ ref('int_project_forms') }} as p
