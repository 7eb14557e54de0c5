-- The stated total of a form that scores itself item by item against the sum of its stated item
-- scores (the execution item's 得分 plus every indicator's 得分): an error where every figure is there;
-- where the source is cut off and a score or the total is missing, an info finding says it cannot be
-- checked.
with forms as (
    select
        *,
        stated_total_score is not null and stated_execution_score is not null and stated_score_count = indicator_count
            and indicator_count > 0 as checkable,
        coalesce(stated_execution_score, 0) + coalesce(stated_indicator_score_sum, 0) as score_sum
    from {{ ref('int_scored_forms') }}
    where entity_type = 'project' or execution_weight is not null
),

judged as (
    select
        *,
        case
            when checkable and score_sum = stated_total_score then null
            when checkable then 'error'
            when not source_complete then 'info'
        end as severity
    from forms
)

select
    'form_scores_not_total' as check_name,
    severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    'self_score' as source_column,
    coalesce(project_code, department_code) || '总分' as subject,
    project_code,
    {{ trimmed('stated_total_score') }} as stated_value,
    {{ trimmed('score_sum') }} as computed_value,
    case severity
        when 'info' then coalesce(project_code, department_code) || '总分无法核对：来源不完整（' || coalesce(source_missing_parts, '') || '）'
        else coalesce(project_code, department_code) || '：总分为' || {{ trimmed('stated_total_score') }}
            || '，执行率与各指标得分之和为' || {{ trimmed('score_sum') }}
    end as message_zh,
    case severity
        when 'info' then coalesce(project_code, department_code) || ': the total cannot be checked: the source is incomplete ('
            || coalesce(source_missing_parts, '') || ')'
        else coalesce(project_code, department_code) || ': stated total ' || {{ trimmed('stated_total_score') }}
            || ', but the item scores sum to ' || {{ trimmed('score_sum') }}
    end as message_en
from judged
where severity is not null
