-- The points of a form that scores itself item by item (every project form; a department form with
-- an execution item): the execution item's 分值 plus every indicator's 分值 against the form's total
-- (var form_total_points, 100). Weights summing to 110 or 120 are an error, even where another part
-- of the source is cut off; where the cut leaves a 分值 unread, an info finding says it cannot be checked.
with forms as (
    select
        *,
        execution_weight is not null and weighted_indicator_count = indicator_count and indicator_count > 0
            as checkable,
        coalesce(execution_weight, 0) + coalesce(indicator_weight_sum, 0) as points
    from {{ ref('int_scored_forms') }}
    where entity_type = 'project' or execution_weight is not null
),

judged as (
    select
        *,
        case
            when checkable and points = {{ var('form_total_points') }} then null
            when checkable then 'error'
            when not source_complete then 'info'
        end as severity
    from forms
)

select
    'form_points_not_total' as check_name,
    severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    'weight' as source_column,
    coalesce(project_code, department_code) || '分值合计' as subject,
    project_code,
    {{ trimmed('points') }} as stated_value,
    '{{ var("form_total_points") }}' as computed_value,
    case severity
        when 'info' then coalesce(project_code, department_code) || '分值合计无法核对：来源不完整（' || coalesce(source_missing_parts, '') || '）'
        else coalesce(project_code, department_code) || '：执行率与各指标分值合计为' || {{ trimmed('points') }}
            || '，不等于{{ var("form_total_points") }}'
    end as message_zh,
    case severity
        when 'info' then coalesce(project_code, department_code) || ': the points cannot be checked: the source is incomplete ('
            || coalesce(source_missing_parts, '') || ')'
        else coalesce(project_code, department_code) || ': the execution item and indicators carry '
            || {{ trimmed('points') }} || ' points, not {{ var("form_total_points") }}'
    end as message_en
from judged
where severity is not null
