-- A stated grade outside the band of the stated score (under the department's own bands, else the
-- national ones).
select distinct
    'grade_outside_band' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    first(_source_file) over w as source_file,
    coalesce(total_source_row, first(_source_row) over w) as source_row,
    'stated_grade' as source_column,
    '自评等级' as subject,
    stated_grade as stated_value,
    grade_by_band as computed_value,
    '自评总分' || {{ trimmed('stated_total_score') }} || '分应为“' || coalesce(grade_by_band, '—') || '”，报告为“'
        || stated_grade || '”' as message_zh,
    'a total of ' || {{ trimmed('stated_total_score') }} || ' falls in "' || coalesce(grade_by_band, '—')
        || '", the report states "' || stated_grade || '"' as message_en
from {{ ref('int_self_evaluation__graded') }}
where stated_grade is not null and stated_total_score is not null and stated_grade is distinct from grade_by_band
window w as (partition by department_code, fiscal_year order by line_no)
