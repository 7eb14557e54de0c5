-- One row per department of the warehouse, a report of its own or only project forms: the latest
-- year's name, what kind of entity it is, the years it appears in and its project forms. Rebuilt whole
-- by every refresh (it spans all years; it is small).
{{ config(materialized='table') }}

with department_years as (
    select * from {{ ref('int_department_names') }}
),

latest as (
    select
        department_code,
        department_name,
        name_source_file,
        name_source_row,
        row_number() over (partition by department_code order by fiscal_year desc nulls last) as recency
    from department_years
),

summary as (
    select
        department_code,
        max(case when has_report then 1 else 0 end) = 1 as has_report,
        max(case when is_synthetic then 1 else 0 end) = 1 as is_synthetic,
        min(fiscal_year) as first_year,
        max(fiscal_year) as last_year,
        cast(count(*) as integer) as years_present,
        {{ text_agg('cast(fiscal_year as ' ~ dbt.type_string() ~ ')', ',', order_by='fiscal_year') }} as fiscal_years,
        cast(sum(case when has_report then 1 else 0 end) as integer) as report_year_count,
        cast(sum(project_form_count) as integer) as project_form_count
    from department_years
    group by department_code
)

select
    s.department_code,
    l.department_name,
    case when s.has_report then 'department' else 'project_owner' end as entity_type,
    s.is_synthetic,
    s.first_year,
    s.last_year,
    s.years_present,
    s.fiscal_years,
    s.report_year_count,
    s.project_form_count,
    l.name_source_file as source_file,
    l.name_source_row as source_row
from summary as s
join latest as l
    on l.department_code = s.department_code and l.recency = 1
