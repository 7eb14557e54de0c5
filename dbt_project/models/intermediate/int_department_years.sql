-- Every department-year that submitted anything, with the profile's name and synthetic flag.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with submitted_rows as (
    {#- Indicators and funding count for the department only when they are its own, not a project's. #}
    {%- for kind in ['department_profile', 'budget_summary', 'budget_lines', 'three_public', 'indicators',
                     'self_evaluation', 'funding_sources'] %}
    select department_code, fiscal_year, _source_file, _source_row, {{ loop.index }} as kind_order,
        '{{ kind }}' as kind
    from {{ ref('stg_reports__' ~ kind) }}
    where {{ in_refresh_years('fiscal_year') }}
    {%- if kind in ['indicators', 'funding_sources'] %}
        and {{ entity_type_of() }} = 'department'
    {%- endif %}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

kinds as (
    select department_code, fiscal_year, {{ text_agg('kind', ',', distinct=true) }} as submitted_kinds
    from submitted_rows
    group by 1, 2
),

submitted as (
    -- One row per department-year, with the first file that names it (the profile first).
    select r.department_code, r.fiscal_year, r._source_file as first_source_file, r._source_row as first_source_row,
        k.submitted_kinds
    from submitted_rows as r
    join kinds as k using (department_code, fiscal_year)
    where r.department_code is not null and r.fiscal_year is not null
    qualify row_number() over (
        partition by r.department_code, r.fiscal_year order by r.kind_order nulls last, r._source_file nulls last, r._source_row nulls last) = 1
),

profiles as (
    select
        *,
        row_number() over (partition by department_code, fiscal_year order by _source_file nulls last, _source_row nulls last) as nth
    from {{ ref('stg_reports__department_profile') }}
),

latest_name as (
    -- A department-year without a profile of its own takes the name of its nearest profiled year.
    select department_code, department_name, fiscal_year as named_year, is_synthetic
    from profiles where nth = 1
),

nearest as (
    -- The nearest profiled year of each department-year (the later of two as near).
    select s.department_code, s.fiscal_year, n.department_name, n.is_synthetic
    from submitted as s
    join latest_name as n on n.department_code = s.department_code
    qualify row_number() over (
        partition by s.department_code, s.fiscal_year
        order by abs(n.named_year - s.fiscal_year) nulls last, n.named_year desc nulls last) = 1
)

select
    s.department_code,
    s.fiscal_year,
    coalesce(
        p.department_name,
        nn.department_name,
        s.department_code  -- no profile in any year: the code stands for the name (a finding says so)
    ) as department_name,
    coalesce(
        p.is_synthetic,
        nn.is_synthetic,
        false  -- no profile in any year: nothing declares it demo data
    ) as is_synthetic,
    p.internal_division_count,
    p.retiree_count,
    p.source_document,
    p._source_file as profile_source_file,
    p._source_row as profile_source_row,
    s.first_source_file,
    s.first_source_row,
    s.submitted_kinds
from submitted as s
left join profiles as p
    on p.department_code = s.department_code and p.fiscal_year = s.fiscal_year and p.nth = 1
left join nearest as nn
    on nn.department_code = s.department_code and nn.fiscal_year = s.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
