-- Every department-year that submitted anything, with the profile's name and synthetic flag.
with submitted as (
    select department_code, fiscal_year from {{ ref('stg_reports__department_profile') }}
    union select department_code, fiscal_year from {{ ref('stg_reports__budget_lines') }}
    union select department_code, fiscal_year from {{ ref('stg_reports__budget_summary') }}
    union select department_code, fiscal_year from {{ ref('stg_reports__three_public') }}
    union select department_code, fiscal_year from {{ ref('stg_reports__indicators') }}
    union select department_code, fiscal_year from {{ ref('stg_reports__self_evaluation') }}
),

profiles as (
    select
        *,
        row_number() over (partition by department_code, fiscal_year order by _source_file, _source_row) as nth
    from {{ ref('stg_reports__department_profile') }}
),

latest_name as (
    -- A department-year without a profile of its own takes the name of its nearest profiled year.
    select department_code, department_name, fiscal_year as named_year, is_synthetic
    from profiles where nth = 1
)

select
    s.department_code,
    s.fiscal_year,
    coalesce(
        p.department_name,
        (select n.department_name from latest_name as n
         where n.department_code = s.department_code
         order by abs(n.named_year - s.fiscal_year), n.named_year desc limit 1)
    ) as department_name,
    coalesce(
        p.is_synthetic,
        (select n.is_synthetic from latest_name as n
         where n.department_code = s.department_code
         order by abs(n.named_year - s.fiscal_year), n.named_year desc limit 1)
    ) as is_synthetic,
    p.internal_division_count,
    p.retiree_count,
    p.source_document,
    p._source_file as profile_source_file,
    p._source_row as profile_source_row
from submitted as s
left join profiles as p
    on p.department_code = s.department_code and p.fiscal_year = s.fiscal_year and p.nth = 1
