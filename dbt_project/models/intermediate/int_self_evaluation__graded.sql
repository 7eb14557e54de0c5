-- The self-evaluation's dimensions with the department-year's stated total and grade, the sum of
-- the dimension scores, and the grade the stated total falls in under the department's own bands
-- (or the default national bands when it declares none).
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with lines as (
    select * from {{ ref('stg_reports__self_evaluation') }}
),

totals as (
    select
        department_code,
        fiscal_year,
        max(case when line_type = 'total' then self_score end) as stated_total_score,
        max(case when line_type = 'total' then weight end) as stated_total_weight,
        max(case when line_type = 'total' then stated_grade end) as stated_grade,
        {{ decimal_sum("case when line_type = 'item' then self_score end") }} as dimension_score_sum,
        {{ decimal_sum("case when line_type = 'item' then weight end") }} as dimension_weight_sum,
        max(case when line_type = 'total' then _source_row end) as total_source_row
    from lines
    group by 1, 2
),

declared_bands as (
    select department_code, fiscal_year, grade, upper_bound, lower_bound, upper_inclusive, lower_inclusive,
        'department' as band_source
    from {{ ref('stg_reports__grade_bands') }}
),

default_bands as (
    {{ parse_grade_bands(ref('default_grade_bands')) }}
),

bands as (
    select * from declared_bands
    union all
    select t.department_code, t.fiscal_year, b.grade, b.upper_bound, b.lower_bound, b.upper_inclusive,
        b.lower_inclusive, 'default' as band_source
    from totals as t
    cross join default_bands as b
    where not exists (
        select 1 from declared_bands as d
        where d.department_code = t.department_code and d.fiscal_year = t.fiscal_year
    )
),

graded as (
    select
        t.*,
        b.grade as grade_by_band,
        b.band_source
    from totals as t
    left join bands as b
        on b.department_code = t.department_code
        and b.fiscal_year = t.fiscal_year
        and (t.stated_total_score > b.lower_bound or (b.lower_inclusive and t.stated_total_score = b.lower_bound))
        and (t.stated_total_score < b.upper_bound or (b.upper_inclusive and t.stated_total_score = b.upper_bound))
    qualify row_number() over (partition by t.department_code, t.fiscal_year order by b.upper_bound desc nulls last) = 1
)

select
    l.department_code,
    l.fiscal_year,
    l.line_no,
    l.dimension,
    l.weight,
    l.deduction,
    l.self_score,
    l.comment,
    g.stated_total_score,
    g.stated_total_weight,
    g.stated_grade,
    g.dimension_score_sum,
    g.dimension_weight_sum,
    g.grade_by_band,
    g.band_source,
    g.total_source_row,
    l._source_file,
    l._source_row
from lines as l
join graded as g on g.department_code = l.department_code and g.fiscal_year = l.fiscal_year
where l.line_type = 'item'
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
