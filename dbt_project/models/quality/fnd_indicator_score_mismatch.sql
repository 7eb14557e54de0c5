-- An indicator's stated 得分 against the score the form's own rule gives it (int_indicators__form_scores):
-- above its 分值, or above what its completion or its verdict's band allows (an indicator far below its
-- target given full points), is an error; below the least its completion or band allows, for an
-- indicator not fully met, a warning (a fully met one scored below its 分值 is full_marks_withheld).
-- Compared at the precision the score is stated with, to 0.1 point at least.
with decimals as (
    select *, {{ score_decimals('self_score_text') }} as score_decimals
    from {{ ref('int_indicators__form_scores') }}
    where self_score is not null
),

scored as (
    select
        *,
        {{ round_to('self_score', 'score_decimals') }} as stated_rounded,
        {{ round_to('recomputed_score', 'score_decimals') }} as most_rounded,
        {{ round_to('recomputed_min_score', 'score_decimals') }} as least_rounded
    from decimals
),

flagged as (
    select
        *,
        case
            when self_score > weight or stated_rounded > most_rounded then 'error'
            when stated_rounded < least_rounded and not fully_met then 'warning'
        end as outcome,
        case
            when recomputed_score is null then null
            when recomputed_min_score = recomputed_score then {{ trimmed('most_rounded') }}
            else {{ trimmed('least_rounded') }} || '-' || {{ trimmed('most_rounded') }}
        end as allowed
    from scored
)

select
    'indicator_score_mismatch' as check_name,
    outcome as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'self_score' as source_column,
    indicator_name as subject,
    project_code,
    self_score_text as stated_value,
    coalesce(allowed, {{ trimmed('weight') }}) as computed_value,
    indicator_name || '：得分' || self_score_text || '，分值' || {{ trimmed('weight') }}
        || case when allowed is null then '，得分超过分值'
                when scoring_basis = 'completion' then '，按完成率' || {{ trimmed('cast(effective_completion * 100 as decimal(18,2))') }} || '%应得' || allowed
                else '，按定性评价（' || assessment || '）应得' || allowed end as message_zh,
    indicator_name || ': stated score ' || self_score_text || ' of ' || {{ trimmed('weight') }} || ' points'
        || case when allowed is null then ' exceeds its points'
                when scoring_basis = 'completion' then ', but a completion of '
                    || {{ trimmed('cast(effective_completion * 100 as decimal(18,2))') }} || '% gives ' || allowed
                else ', but the verdict ' || assessment || ' allows ' || allowed end as message_en
from flagged
where outcome is not null
