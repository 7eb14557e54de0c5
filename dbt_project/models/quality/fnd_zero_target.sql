-- A quantitative target of zero: no completion rate can be computed against it.
select
    'zero_target' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'target_text' as source_column,
    indicator_name as subject,
    project_code,
    target_text as stated_value,
    {{ trimmed('actual_value') }} as computed_value,
    indicator_name || '：目标值为0，无法计算完成率' as message_zh,
    indicator_name || ': the target is zero; no completion rate can be computed' as message_en
from {{ ref('int_indicators__completion') }}
where target_kind = 'quantitative' and target_value = 0
