-- The common indicators of 财预〔2013〕53号 and PEFA that can be computed from the reports, one row
-- per department-year; the figures scoring rule sets name.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with departments as (
    select * from {{ ref('int_department_totals') }}
),

three_public_total as (
    -- The stated total row; a report without one gets the sum of its categories.
    select
        department_code,
        fiscal_year,
        coalesce(max(case when line_type = 'total' then budget end), sum(case when line_type = 'item' then budget end))
            as budget,
        coalesce(max(case when line_type = 'total' then actual end), sum(case when line_type = 'item' then actual end))
            as actual,
        max(case when line_type = 'total' then yoy_change_rate end) as yoy_change_rate
    from {{ ref('int_three_public__with_prior') }}
    group by 1, 2
),

indicator_figures as (
    select
        department_code,
        fiscal_year,
        count(*) filter (where completion_rate is not null) as rated_indicator_count,
        sum(least(completion_rate, 1)) filter (where completion_rate is not null) as capped_completion_sum,
        count(*) filter (where status_detail in ('met', 'partly met', 'not met')) as assessed_count,
        count(*) filter (where status_detail = 'met') as met_count,
        count(*) filter (where target_kind = 'qualitative' and assessment is not null) as qualitative_count,
        sum(case assessment when 'achieved' then 1 when 'partly' then 0.5 when 'not' then 0 end)
            filter (where target_kind = 'qualitative') as qualitative_points
    from {{ ref('int_indicators__completion') }}
    where entity_type = 'department'
    group by 1, 2
),

composition as (
    -- PEFA PI-2: each line's original budget scaled to the total outturn; the variance is the sum of
    -- absolute deviations from it over the total outturn. Only when every line has an initial budget.
    select
        department_code,
        fiscal_year,
        count(*) as line_count,
        count(initial_budget) as lines_with_initial,
        sum(initial_budget) as initial_total,
        sum(actual_spend) as actual_total
    from {{ ref('int_budget_lines__execution') }}
    group by 1, 2
),

deviations as (
    select
        p.department_code,
        p.fiscal_year,
        sum(abs(p.actual_spend * c.initial_total - p.initial_budget * c.actual_total)) as scaled_deviation,
        max(c.initial_total) * max(c.actual_total) as scaled_total
    from {{ ref('int_budget_lines__execution') }} as p
    join composition as c using (department_code, fiscal_year)
    where c.lines_with_initial = c.line_count and c.initial_total > 0
    group by 1, 2
)

select
    d.department_code,
    d.department_name,
    d.fiscal_year,
    d.execution_rate,
    d.stated_execution_rate,
    f.execution_rate as funding_execution_rate,
    f.stated_execution_rate as stated_funding_execution_rate,
    d.adjustment_rate,
    d.headcount_control_rate,
    {{ exact_ratio('t.actual', 't.budget') }} as three_public_control_rate,
    t.yoy_change_rate as three_public_change_rate,
    {{ exact_ratio('i.capped_completion_sum', 'i.rated_indicator_count') }} as indicator_completion_mean,
    {{ exact_ratio('i.met_count', 'i.assessed_count') }} as indicator_met_share,
    {{ exact_ratio('i.qualitative_points', 'i.qualitative_count') }} as qualitative_achieved_share,
    {{ exact_ratio('d.actual_spend', 'd.initial_budget') }} as outturn_ratio,
    {{ exact_ratio('v.scaled_deviation', 'v.scaled_total') }} as composition_variance,
    coalesce(i.rated_indicator_count, 0) as rated_indicator_count,
    coalesce(i.qualitative_count, 0) as qualitative_indicator_count,
    d.is_synthetic,
    d.source_file,
    d.source_row
from departments as d
left join three_public_total as t using (department_code, fiscal_year)
left join indicator_figures as i using (department_code, fiscal_year)
left join deviations as v using (department_code, fiscal_year)
left join {{ ref('int_funding__execution') }} as f
    on f.department_code = d.department_code and f.fiscal_year = d.fiscal_year and f.entity_type = 'department'
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
