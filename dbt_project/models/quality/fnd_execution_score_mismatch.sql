-- The execution item of a form (the funding table's total row): its stated 得分 against 分值 × 执行率,
-- capped at the 分值 (76% of 10 points is 7.6), with the rate the form states, else the computed one;
-- compared at the precision the score is stated with, to 0.1 point at least.
with items as (
    select
        *,
        coalesce(stated_execution_rate, execution_rate) as rate,
        case when stated_execution_rate is not null then stated_execution_rate_text
             else {{ trimmed('cast(execution_rate * 100 as decimal(18,2))') }} || '%' end as rate_text,
        {{ score_decimals('stated_execution_score_text') }} as score_decimals
    from {{ ref('int_scored_forms') }}
    where execution_weight is not null and stated_execution_score is not null
),

expected as (
    select *, {{ round_to('least(execution_weight, greatest(0, execution_weight * rate))', 'score_decimals') }}
        as expected_score
    from items
    where rate is not null
)

select
    'execution_score_mismatch' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    funding_source_file as source_file,
    funding_total_source_row as source_row,
    'self_score' as source_column,
    coalesce(project_code, '部门') || '预算执行率得分' as subject,
    project_code,
    stated_execution_score_text as stated_value,
    {{ trimmed('expected_score') }} as computed_value,
    '预算执行率得分' || stated_execution_score_text || '，按执行率' || rate_text || '×分值'
        || {{ trimmed('execution_weight') }} || '应为' || {{ trimmed('expected_score') }} as message_zh,
    'execution item scored ' || stated_execution_score_text || ', but ' || rate_text || ' of '
        || {{ trimmed('execution_weight') }} || ' points is ' || {{ trimmed('expected_score') }} as message_en
from expected
where {{ round_to('stated_execution_score', 'score_decimals') }} <> expected_score
