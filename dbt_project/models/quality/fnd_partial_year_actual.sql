-- An actual that covers part of the year (1-11月) set against an annual target.
select
    'partial_year_actual' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'actual_text' as source_column,
    indicator_name as subject,
    project_code,
    actual_text as stated_value,
    actual_period as computed_value,
    indicator_name || '：实际完成值只覆盖' || actual_period || '，却与全年目标' || target_text || '比较' as message_zh,
    indicator_name || ': the actual covers ' || actual_period || ' only, against the annual target ' || target_text
        as message_en
from {{ ref('int_indicators__completion') }}
where actual_period is not null and actual_period not in ('1-12月', '01-12月')
