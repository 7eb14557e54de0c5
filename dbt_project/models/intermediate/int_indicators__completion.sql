-- One row per indicator and department-year: the result table's statement where the report has
-- one, else the goal table's; completion rate where target and actual are numbers of the same
-- dimension (never yuan against dollars); status from the computed rate, else the stated one.
with ranked as (
    select
        *,
        row_number() over (
            partition by department_code, fiscal_year, indicator_no, part_no
            order by case when actual_text is not null then 0 else 1 end,
                     case source_table when 'result' then 0 else 1 end
        ) as preference
    from {{ ref('stg_reports__indicators') }}
),

chosen as (
    select
        *,
        target_kind = 'quantitative'
            and actual_value is not null
            and target_value is not null
            and target_value <> 0
            and (actual_dimension = target_dimension or (actual_dimension is null and actual_unit = target_unit))
            as comparable
    from ranked
    where preference = 1
),

assessed as (
    select
        chosen.*,
        (
            select t.assessment from {{ ref('qualitative_terms') }} as t
            where contains(chosen.actual_text, t.term)
            order by t.priority, length(t.term) desc
            limit 1
        ) as assessment
    from chosen
),

rated as (
    select
        *,
        case
            when not comparable then null
            when comparator in ('≤', '<')
                then {{ exact_ratio('target_value * target_base_factor', 'actual_value * actual_base_factor') }}
            else {{ exact_ratio('actual_value * coalesce(actual_base_factor, 1)', 'target_value * coalesce(target_base_factor, 1)') }}
        end as completion_rate
    from assessed
)

select
    *,
    case
        when completion_rate is not null then 'computed'
        when target_kind = 'quantitative' and stated_completion_rate is not null then 'stated'
    end as status_basis,
    case
        when target_kind = 'none' then 'no target'
        when target_kind = 'qualitative' then 'qualitative'
        when coalesce(completion_rate, stated_completion_rate) is null then 'qualitative'
        when comparator = '≤' and comparable and actual_value * actual_base_factor <= target_value * target_base_factor
            then 'met'
        when coalesce(completion_rate, stated_completion_rate) >= 1 then 'met'
        when coalesce(completion_rate, stated_completion_rate) >= {{ var('indicator_partly_met_min') }}
            then 'partly met'
        else 'not met'
    end as status
from rated
