-- A stated 得分系数 × 分值 against the stated 得分, at the precision the score is stated with (0.1 at least).
select
    'score_coefficient_mismatch' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'score_coefficient' as source_column,
    indicator_name as subject,
    project_code,
    self_score_text as stated_value,
    {{ trimmed(round_to('score_coefficient * weight', 'score_decimals')) }} as computed_value,
    indicator_name || '：得分系数' || score_coefficient_text || '×分值' || {{ trimmed('weight') }} || '='
        || {{ trimmed(round_to('score_coefficient * weight', 'score_decimals')) }} || '，报告得分为' || self_score_text
        as message_zh,
    indicator_name || ': coefficient ' || score_coefficient_text || ' × ' || {{ trimmed('weight') }} || ' points = '
        || {{ trimmed(round_to('score_coefficient * weight', 'score_decimals')) }} || ', but the stated score is '
        || self_score_text as message_en
from (
    select *, {{ score_decimals('self_score_text') }} as score_decimals
    from {{ ref('int_indicators__form_scores') }}
    where score_coefficient is not null and self_score is not null
) as scored
where {{ round_to('score_coefficient * weight', 'score_decimals') }} <> {{ round_to('self_score', 'score_decimals') }}
