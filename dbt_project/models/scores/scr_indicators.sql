-- The report indicators that indicator_completion items score (marts.indicator_completion): a
-- department's with a target; a project form's with a target or stated points.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
select
    entity_type,
    case when entity_type = 'project' then {{ dbt.concat(["department_code", "'/'", "project_code"]) }}
         else department_code end as entity_code,
    department_code, fiscal_year, indicator_no, part_no, indicator_name, level1, level1_name, target_kind, target_text,
    target_value, actual_text, completion_rate, stated_completion_rate, assessment, weight
from {{ ref('indicator_completion') }}
where (entity_type = 'department' and target_kind <> 'none')
   or (entity_type = 'project' and (target_kind <> 'none' or weight is not null))
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
