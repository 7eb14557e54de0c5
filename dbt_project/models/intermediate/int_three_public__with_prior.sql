-- "三公" lines with the prior-year actual: as stated on the row; else derived from the stated
-- change (actual − stated change); else the previous fiscal year's actual of the same category
-- from that year's own report. The basis says which; the change on it and its rate beside.
{{ config(meta={'reads_prior_years': 1}) }}  -- its prior-year actuals come from last year's report
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with lines as (
    select * from {{ ref('stg_reports__three_public') }}
),

previous_year as (
    select department_code, fiscal_year + 1 as fiscal_year, category, actual as previous_report_actual
    from lines
    qualify row_number() over (partition by department_code, fiscal_year, category order by line_no nulls last) = 1
),

components as (
    select department_code, fiscal_year, {{ decimal_sum('budget') }} as components_budget, {{ decimal_sum('actual') }} as components_actual
    from lines
    where line_type = 'item'
    group by 1, 2
)
,

with_prior as (
    select
        l.department_code,
        l.fiscal_year,
        l.line_no,
        l.category,
        l.category_name,
        l.line_type,
        l.budget,
        l.actual,
        {{ exact_ratio('l.actual', 'l.budget') }} as usage_rate,
        l.stated_usage_rate,
        l.stated_usage_rate_text,
        l.budget - l.actual as saving,
        l.stated_saving,
        case
            when l.prior_year_actual is not null then l.prior_year_actual
            when l.stated_yoy_change is not null then l.actual - l.stated_yoy_change
            else p.previous_report_actual
        end as prior_year_actual,
        case
            when l.prior_year_actual is not null then 'stated'
            when l.stated_yoy_change is not null then 'derived from stated change'
            when p.previous_report_actual is not null then 'previous year report'
        end as prior_year_basis,
        l.stated_yoy_change,
        l.stated_yoy_change_rate,
        l.stated_yoy_change_rate_text,
        case when l.line_type = 'total' then c.components_budget end as components_budget,
        case when l.line_type = 'total' then c.components_actual end as components_actual,
        l.unit as source_unit,
        l._source_file,
        l._source_row
    from lines as l
    left join previous_year as p
        on p.department_code = l.department_code and p.fiscal_year = l.fiscal_year and p.category = l.category
    left join components as c on c.department_code = l.department_code and c.fiscal_year = l.fiscal_year
)

-- the change on the prior year, and its rate
select
    *,
    actual - prior_year_actual as yoy_change,
    {{ exact_ratio('actual - prior_year_actual', 'prior_year_actual') }} as yoy_change_rate
from with_prior
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
