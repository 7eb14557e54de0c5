-- One row per indicator of a department-year or a project form: the result table's statement where
-- the report has one, else the goal table's; completion rate where target and actual are numbers of
-- the same dimension (never yuan against dollars), by direction: actual / target when higher is
-- better, target / actual when lower is better, the nearer of the two for = (a deviation either way
-- counts), 1 inside a range and the distance to its nearer end outside it; status_detail from the
-- computed rate, else the stated one; status (met / partly_met / not_met / not_assessable) from that
-- or, for a qualitative indicator, from its verdict. An actual written as a bare ratio against a
-- target in % (1 meaning 100%) is read as a percentage and says so (actual_read_as_ratio).
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with ranked as (
    select
        *,
        row_number() over (
            partition by department_code, fiscal_year, entity_type, project_code, indicator_no, part_no
            order by case when actual_text is not null then 0 else 1 end nulls last,
                     case source_table when 'result' then 0 else 1 end nulls last
        ) as preference
    from {{ ref('stg_reports__indicators') }}
    where {{ in_refresh_years('fiscal_year') }}  -- the year filter below is not pushed through this window
),

scaled as (
    select
        * except (actual_value),
        cast(case when actual_read_as_ratio then actual_value * 100 else actual_value end as decimal(34,6)) as actual_value
    from (
        select
            *,
            coalesce(
                actual_unit_implied and target_unit = '%' and actual_value <= {{ var('ratio_actual_max') }}
                and target_value >= {{ var('ratio_actual_min_target_pct') }} and direction in ('higher', 'equal', 'range'),
                false) as actual_read_as_ratio
        from ranked
        where preference = 1
    ) as r
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
    from scaled
),

assessed as (
    select
        chosen.*,
        (
            select t.assessment from {{ ref('qualitative_terms') }} as t
            where case t.match when 'exact' then trim(chosen.actual_text) = t.term
                               else contains(chosen.actual_text, t.term) end
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
            when direction = 'lower'
                then {{ exact_ratio('target_value * coalesce(target_base_factor, 1)', 'actual_value * coalesce(actual_base_factor, 1)') }}
            when direction = 'equal' and actual_value * coalesce(actual_base_factor, 1) > target_value * coalesce(target_base_factor, 1)
                then {{ exact_ratio('target_value * coalesce(target_base_factor, 1)', 'actual_value * coalesce(actual_base_factor, 1)') }}
            when direction = 'range' and actual_value * coalesce(actual_base_factor, 1) > target_value_high * coalesce(target_base_factor, 1)
                then {{ exact_ratio('target_value_high * coalesce(target_base_factor, 1)', 'actual_value * coalesce(actual_base_factor, 1)') }}
            when direction = 'range'
                and actual_value * coalesce(actual_base_factor, 1) >= target_value * coalesce(target_base_factor, 1)
                then 1
            else {{ exact_ratio('actual_value * coalesce(actual_base_factor, 1)', 'target_value * coalesce(target_base_factor, 1)') }}
        end as completion_rate
    from assessed
),

detailed as (
    select
        *,
        case
            when target_kind = 'none' then 'no target'
            when target_kind = 'qualitative' then 'qualitative'
            when coalesce(completion_rate, stated_completion_rate) is null then 'qualitative'
            when direction = 'lower' and comparable
                and actual_value * coalesce(actual_base_factor, 1) <= target_value * coalesce(target_base_factor, 1)
                then 'met'
            when coalesce(completion_rate, stated_completion_rate) >= 1 then 'met'
            when coalesce(completion_rate, stated_completion_rate) >= {{ var('indicator_partly_met_min') }}
                then 'partly met'
            else 'not met'
        end as status_detail
    from rated
)

select
    *,
    -- One status for every indicator: a measured one from its completion (status_detail), a qualitative
    -- one (or a number target with a text actual) from the verdict of its actual (assessment, read
    -- through seeds/qualitative_terms.csv); no target, or no recognised verdict: not assessable.
    case
        when status_detail = 'met' then 'met'
        when status_detail = 'partly met' then 'partly_met'
        when status_detail = 'not met' then 'not_met'
        when status_detail = 'qualitative' and assessment = 'achieved' then 'met'
        when status_detail = 'qualitative' and assessment = 'partly' then 'partly_met'
        when status_detail = 'qualitative' and assessment = 'not' then 'not_met'
        else 'not_assessable'
    end as status,
    case
        when completion_rate is not null then 'computed'
        when target_kind = 'quantitative' and stated_completion_rate is not null then 'stated'
        when status_detail = 'qualitative' and assessment is not null then 'assessment'
    end as status_basis
from detailed
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
