-- A fully met indicator (its target reached, or its verdict achieved) scored below its 分值 with no
-- 偏差原因 to say why: the form's rule gives full points, so the deduction needs a reason.
select
    'full_marks_withheld' as check_name,
    'info' as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'self_score' as source_column,
    indicator_name as subject,
    project_code,
    self_score_text as stated_value,
    {{ trimmed('weight') }} as computed_value,
    indicator_name || '：指标已完成，得分' || self_score_text || '低于分值' || {{ trimmed('weight') }}
        || '，未说明偏差原因' as message_zh,
    indicator_name || ': fully met but scored ' || self_score_text || ' of ' || {{ trimmed('weight') }}
        || ' points, with no deviation reason' as message_en
from {{ ref('int_indicators__form_scores') }}
where fully_met and self_score < weight and deviation_reason is null
