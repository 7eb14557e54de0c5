-- Every department-year in which a department appears: with a report of its own (int_department_years)
-- or only as the 主管部门 (competent department) of project self-evaluation forms. The year's name is
-- the profile's (int_department_years); a department known from project forms only is named by the
-- 主管部门 of its first form of the year, without the code a form may put before it
-- (219-池州市贵池区棠溪镇人民政府 → 池州市贵池区棠溪镇人民政府), else by its code. The marts take
-- department_name from here; marts.departments sums it up per department.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with forms as (
    select
        department_code,
        fiscal_year,
        competent_department,
        is_synthetic,
        _source_file,
        _source_row,
        row_number() over (
            partition by department_code, fiscal_year order by _source_file nulls last, _source_row nulls last) as nth
    from {{ ref('stg_reports__project_forms') }}
    where department_code is not null and fiscal_year is not null
),

form_years as (
    select
        department_code,
        fiscal_year,
        count(distinct project_code) as project_form_count,
        max(case when is_synthetic then 1 else 0 end) = 1 as is_synthetic
    from {{ ref('stg_reports__project_forms') }}
    where department_code is not null and fiscal_year is not null
    group by department_code, fiscal_year
),

first_forms as (
    select
        f.department_code,
        f.fiscal_year,
        nullif(trim({{ regexp_replace_first('f.competent_department', '^[0-9A-Za-z]+ *[-－—] *') }}), '')
            as competent_department_name,
        f._source_file,
        f._source_row,
        y.project_form_count,
        y.is_synthetic
    from forms as f
    join form_years as y
        on y.department_code = f.department_code and y.fiscal_year = f.fiscal_year
    where f.nth = 1
),

department_years as (
    select department_code, fiscal_year from {{ ref('int_department_years') }}
    union
    select department_code, fiscal_year from first_forms
)

select
    k.department_code,
    k.fiscal_year,
    coalesce(d.department_name, f.competent_department_name, k.department_code) as department_name,
    case when d.department_code is not null then 'department' else 'project_owner' end as entity_type,
    d.department_code is not null as has_report,
    coalesce(f.project_form_count, 0) as project_form_count,
    coalesce(d.is_synthetic, f.is_synthetic, false) as is_synthetic,
    coalesce(d.profile_source_file, d.first_source_file, f._source_file) as name_source_file,
    coalesce(d.profile_source_row, d.first_source_row, f._source_row) as name_source_row
from department_years as k
left join {{ ref('int_department_years') }} as d
    on d.department_code = k.department_code and d.fiscal_year = k.fiscal_year
left join first_forms as f
    on f.department_code = k.department_code and f.fiscal_year = k.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
