-- An actual written as a target (≥266米): the report restates the goal instead of what was done.
select
    'actual_written_as_target' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'actual_text' as source_column,
    indicator_name as subject,
    project_code,
    actual_text as stated_value,
    target_text as computed_value,
    indicator_name || '：实际完成值“' || actual_text || '”写成了目标的形式' as message_zh,
    indicator_name || ': the actual "' || actual_text || '" is written as a target' as message_en
from {{ ref('int_indicators__completion') }}
where {{ regexp_contains(normalize_text('actual_text'), '^\\s*(≥|≤|>=|<=|>|<|不低于|不少于|不高于|不超过)') }}
