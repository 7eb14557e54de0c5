-- What the rule sets score: every department-year (marts.department_execution) and every project form
-- (marts.project_forms), keyed by entity_type and entity_code (the department, or department/project),
-- with the self-evaluation total the entity states for itself.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
with self_totals as (
    select department_code, fiscal_year, max(self_score) as self_score, max(stated_grade) as stated_grade
    from {{ ref('stg_reports__self_evaluation') }}
    where line_type = 'total'
    group by department_code, fiscal_year
)
select
    'department' as entity_type,
    d.department_code as entity_code,
    d.department_code,
    cast(null as {{ dbt.type_string() }}) as project_code,
    d.department_name,
    d.department_name as entity_name,
    d.fiscal_year,
    d.is_synthetic,
    t.self_score,
    t.stated_grade as self_grade
from {{ ref('department_execution') }} as d
left join self_totals as t on t.department_code = d.department_code and t.fiscal_year = d.fiscal_year
union all
select
    'project' as entity_type,
    {{ dbt.concat(["p.department_code", "'/'", "p.project_code"]) }} as entity_code,
    p.department_code,
    p.project_code,
    p.department_name,
    p.project_name as entity_name,
    p.fiscal_year,
    p.is_synthetic,
    p.stated_total_score as self_score,
    p.stated_grade as self_grade
from {{ ref('project_forms') }} as p
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
