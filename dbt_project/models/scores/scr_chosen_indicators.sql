-- The report indicators each indicator_completion item scores: those under one of its level-1
-- headings (by code or name; * takes all), and those without a heading when include_unclassified.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
with items as (
    select e.entity_type, e.entity_code, e.fiscal_year, i.rule_set, i.item, i.include_unclassified
    from {{ ref('scr_entities') }} as e
    join {{ source('rule_sets', 'rule_sets') }} as s on s.applies_to = e.entity_type
    join {{ source('rule_sets', 'rule_set_items') }} as i on i.rule_set = s.rule_set
    where i.rule = 'indicator_completion'
)
-- (a join, not EXISTS in a disjunction, which Spark refuses; an indicator matching two headings counts once)
select distinct items.rule_set, items.item, ind.*
from items
join {{ ref('scr_indicators') }} as ind
    on ind.entity_type = items.entity_type and ind.entity_code = items.entity_code
    and ind.fiscal_year = items.fiscal_year
left join {{ source('rule_sets', 'rule_set_item_levels') }} as l
    on l.rule_set = items.rule_set and l.item = items.item
    and (l.level1 = '*' or l.level1 = ind.level1 or l.level1 = ind.level1_name)
where l.level1 is not null or (ind.level1 is null and items.include_unclassified)
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
