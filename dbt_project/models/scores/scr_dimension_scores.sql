-- The score of every dimension of every entity and rule set: the sum of its scored items; null when
-- none of them could be scored.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
select i.entity_type, i.entity_code, i.department_code, i.fiscal_year, i.rule_set, i.dimension,
    sum(i.score) as dimension_score
from {{ ref('scr_item_scores') }} as i
group by i.entity_type, i.entity_code, i.department_code, i.fiscal_year, i.rule_set, i.dimension
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
