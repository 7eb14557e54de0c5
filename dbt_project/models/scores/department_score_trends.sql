-- depends_on: {{ source('rule_sets', 'rule_set_items') }}
-- One row per department and department rule set over all its years: the series of its totals
-- (mean, first, last, least-squares slope, best and worst year) and its PEFA windows.
{%- set ratings = pefa_rating_columns() %}
with scores as (
    select department_code as entity_code, department_name, fiscal_year, rule_set, total_score, is_synthetic
    from {{ ref('department_scores') }}
),
departments as (
    select entity_code, rule_set, max(fiscal_year) as latest_year, max(case when is_synthetic then 1 else 0 end) = 1
           as is_synthetic
    from scores
    group by entity_code, rule_set
),
series as (
    select s.entity_code, s.rule_set, s.fiscal_year, s.total_score, s.fiscal_year - m.first_year as x
    from scores as s
    join (select entity_code, rule_set, min(fiscal_year) as first_year from scores where total_score is not null
          group by entity_code, rule_set) as m on m.entity_code = s.entity_code and m.rule_set = s.rule_set
    where s.total_score is not null
),
stats as (
    select entity_code, rule_set, count(*) as n, min(fiscal_year) as first_year, max(fiscal_year) as last_year,
           sum(total_score) as sum_y, sum(cast(x as decimal(18,0))) as sum_x,
           sum(cast(x * x as decimal(18,0))) as sum_xx, sum(x * total_score) as sum_xy
    from series
    group by entity_code, rule_set
),
ranked as (
    select entity_code, rule_set, fiscal_year, total_score,
           row_number() over (partition by entity_code, rule_set order by total_score desc nulls last, fiscal_year desc nulls last) as best_no,
           row_number() over (partition by entity_code, rule_set order by total_score asc nulls last, fiscal_year asc nulls last) as worst_no
    from series
),
ratings as (
    select r.department_code as entity_code, r.fiscal_year, r.rule_set, r.item, r.rating, ri.window_years,
           ri.rating_column
    from {{ ref('indicator_scores') }} as r
    join {{ source('rule_sets', 'rule_set_items') }} as ri on ri.rule_set = r.rule_set and ri.item = r.item
    where r.entity_type = 'department' and r.rating is not null
),
rolling as (
    select entity_code, rule_set, max(fiscal_year) as rating_year,
           {{ text_agg(dbt.concat([
               "cast(fiscal_year - window_years + 1 as " ~ dbt.type_string() ~ ")", "'-'",
               "cast(fiscal_year as " ~ dbt.type_string() ~ ")", "' '", "item", "' '", "rating"]),
               '; ', order_by=['fiscal_year', 'item', 'rating']) }}
               as pefa_rolling_ratings
    from ratings
    group by entity_code, rule_set
),
-- The ratings of the latest rated year, one column each.
latest as (
    select r.entity_code, r.rule_set
    {%- for column in ratings %},
           max(case when r.rating_column = '{{ column }}' then r.rating end) as {{ column }}
    {%- endfor %}
    from ratings as r
    join rolling as ro on ro.entity_code = r.entity_code and ro.rule_set = r.rule_set and r.fiscal_year = ro.rating_year
    group by r.entity_code, r.rule_set
)
select
    d.entity_code as department_code,
    n.department_name,
    d.rule_set,
    cast(coalesce(st.n, 0) as integer) as years_covered,
    cast(st.first_year as integer) as first_year,
    cast(st.last_year as integer) as last_year,
    cast({{ div_half_up('st.sum_y', 'st.n') }} as decimal(14,4)) as mean_score,
    cast(f.total_score as decimal(14,4)) as first_score,
    cast(l.total_score as decimal(14,4)) as last_score,
    cast(case when st.n >= 2 then {{ div_half_up('st.n * st.sum_xy - st.sum_x * st.sum_y', 'st.n * st.sum_xx - st.sum_x * st.sum_x') }} end
         as decimal(14,4)) as trend_slope,
    cast(b.fiscal_year as integer) as best_year,
    cast(w.fiscal_year as integer) as worst_year,
    ro.pefa_rolling_ratings,
    cast(ro.rating_year as integer) as pefa_rating_year,
    {%- for column in ratings %}
    la.{{ column }},
    {%- endfor %}
    d.is_synthetic
from departments as d
join scores as n on n.entity_code = d.entity_code and n.rule_set = d.rule_set and n.fiscal_year = d.latest_year
left join stats as st on st.entity_code = d.entity_code and st.rule_set = d.rule_set
left join series as f on f.entity_code = d.entity_code and f.rule_set = d.rule_set and f.fiscal_year = st.first_year
left join series as l on l.entity_code = d.entity_code and l.rule_set = d.rule_set and l.fiscal_year = st.last_year
left join ranked as b on b.entity_code = d.entity_code and b.rule_set = d.rule_set and b.best_no = 1
left join ranked as w on w.entity_code = d.entity_code and w.rule_set = d.rule_set and w.worst_no = 1
left join rolling as ro on ro.entity_code = d.entity_code and ro.rule_set = d.rule_set
left join latest as la on la.entity_code = d.entity_code and la.rule_set = d.rule_set
