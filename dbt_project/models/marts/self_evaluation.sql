-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    s.department_code,
    d.department_name,
    s.fiscal_year,
    s.line_no,
    s.dimension,
    s.weight,
    s.deduction,
    s.self_score,
    s.stated_total_score,
    s.stated_total_weight,
    s.stated_grade,
    s.dimension_score_sum,
    s.dimension_weight_sum,
    s.grade_by_band,
    s.band_source,
    s.total_source_row,
    s.comment,
    d.is_synthetic,
    s._source_file as source_file,
    s._source_row as source_row
from {{ ref('int_self_evaluation__graded') }} as s
join {{ ref('int_department_years') }} as d
    on d.department_code = s.department_code and d.fiscal_year = s.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
