-- One row per entity (department-year or project form) and rule set of its kind: dimension scores,
-- total, grade, self-evaluation, gap, rank in the year, change on the previous year and PEFA ratings.
-- The dimension scores are kept long here (scr_dimension_scores); the marts pivot them.
with entity_rule_sets as (
    select e.*, s.rule_set, s.unscored_items as unscored_policy
    from {{ ref('scr_entities') }} as e
    join {{ source('rule_sets', 'rule_sets') }} as s on s.applies_to = e.entity_type
),
item_totals as (
    select entity_type, entity_code, fiscal_year, rule_set,
           sum(case when score is null then 1 else 0 end) as unscored_items,
           {{ text_agg(dbt.concat(["item", "' '", "rating"]), '; ', order_by='item_no') }} as pefa_ratings
    from {{ ref('scr_item_scores') }}
    group by entity_type, entity_code, fiscal_year, rule_set
),
dimension_totals as (
    select entity_type, entity_code, fiscal_year, rule_set, sum(dimension_score) as total_score
    from {{ ref('scr_dimension_scores') }}
    group by entity_type, entity_code, fiscal_year, rule_set
),
totalled as (
    select r.*, cast(d.total_score as decimal(18,4)) as total_score, coalesce(t.unscored_items, 0) as unscored_items,
           t.pefa_ratings
    from entity_rule_sets as r
    left join dimension_totals as d
        on d.entity_type = r.entity_type and d.entity_code = r.entity_code and d.fiscal_year = r.fiscal_year
        and d.rule_set = r.rule_set
    left join item_totals as t
        on t.entity_type = r.entity_type and t.entity_code = r.entity_code and t.fiscal_year = r.fiscal_year
        and t.rule_set = r.rule_set
),
-- The grade band the total falls in (the bands neither overlap nor leave gaps: one at most).
graded as (
    select totalled.*, b.grade as band_grade
    from totalled
    left join {{ source('rule_sets', 'rule_set_grade_bands') }} as b
        on b.rule_set = totalled.rule_set
        and (totalled.total_score > b.lower_bound or (b.lower_closed and totalled.total_score = b.lower_bound))
        and (totalled.total_score < b.upper_bound or (b.upper_closed and totalled.total_score = b.upper_bound))
)
select
    g.entity_type, g.entity_code, g.department_code, g.department_name, g.project_code, g.entity_name,
    g.fiscal_year, g.rule_set, g.total_score,
    case when g.total_score is null or (g.unscored_items > 0 and g.unscored_policy = 'no_grade') then null
         else g.band_grade end as grade,
    cast(g.self_score as decimal(14,4)) as self_score, g.self_grade,
    cast(g.self_score - g.total_score as decimal(14,4)) as score_gap,
    case when g.total_score is not null then
        rank() over (partition by g.entity_type, g.rule_set, g.fiscal_year, g.is_synthetic
                     order by g.total_score desc nulls last) end as rank_in_year,
    g.total_score - p.total_score as yoy_change,
    g.pefa_ratings,
    g.unscored_items, g.is_synthetic
from graded as g
left join graded as p
    on p.entity_type = g.entity_type and p.entity_code = g.entity_code and p.rule_set = g.rule_set
    and p.fiscal_year = g.fiscal_year - 1
