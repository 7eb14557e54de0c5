-- Judgment items, and indicator_completion items without any report indicator to score: a
-- reviewer's score (stg_reports__reviewer_scores) or the department's self-evaluation of the item's
-- dimension scaled to the item's weight, in the order of the rule set's judgment sources.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
with levels as (
    select rule_set, item, {{ text_agg('level1', '/') }} as level_list
    from {{ source('rule_sets', 'rule_set_item_levels') }}
    group by rule_set, item
),
chosen as (
    select distinct entity_type, entity_code, fiscal_year, rule_set, item from {{ ref('scr_chosen_indicators') }}
),
items as (
    select e.*, i.rule_set, i.item_no, i.dimension, i.item, i.rule, cast(i.weight as decimal(18,4)) as weight,
           i.self_dimension, s.judged_by_reviewer, s.judged_by_self, s.reviewer_first,
           case when i.rule = 'indicator_completion'
                then {{ dbt.concat(["'no report indicators under '", "l.level_list", "'; '"]) }} else '' end as prefix
    from {{ ref('scr_entities') }} as e
    join {{ source('rule_sets', 'rule_sets') }} as s on s.applies_to = e.entity_type
    join {{ source('rule_sets', 'rule_set_items') }} as i on i.rule_set = s.rule_set
    left join levels as l on l.rule_set = i.rule_set and l.item = i.item
    left join chosen as c
        on c.entity_type = e.entity_type and c.entity_code = e.entity_code and c.fiscal_year = e.fiscal_year
        and c.rule_set = i.rule_set and c.item = i.item
    where i.rule = 'judgment' or (i.rule = 'indicator_completion' and c.item is null)
),
reviewer as (
    select department_code, fiscal_year, rule_set, item, max(score) as score, max(reviewer) as reviewer,
           max(note) as note
    from {{ ref('stg_reports__reviewer_scores') }}
    where score is not null
    group by department_code, fiscal_year, rule_set, item
),
self_dimensions as (
    select department_code, fiscal_year, dimension, max(self_score) as dimension_self_score, max(weight) as self_weight
    from {{ ref('self_evaluation') }}
    where self_score is not null and weight is not null
    group by department_code, fiscal_year, dimension
),
sourced as (
    select
        items.*,
        r.score as reviewer_score, r.reviewer, r.note,
        d.dimension_self_score, d.self_weight,
        case
            when items.judged_by_reviewer and r.score is not null
                 and (items.reviewer_first or not (items.judged_by_self and d.dimension_self_score is not null)) then 'reviewer'
            when items.judged_by_self and d.dimension_self_score is not null then 'self'
            else 'none'
        end as score_source
    from items
    left join reviewer as r
        on items.entity_type = 'department' and r.department_code = items.department_code
        and r.fiscal_year = items.fiscal_year and r.rule_set = items.rule_set and r.item = items.item
    left join self_dimensions as d
        on items.entity_type = 'department' and items.self_dimension is not null
        and d.department_code = items.department_code and d.fiscal_year = items.fiscal_year
        and d.dimension = items.self_dimension
),
scored as (
    select
        sourced.*,
        case
            when score_source = 'reviewer' and reviewer_score >= 0 then {{ capped('weight', 'reviewer_score') }}
            when score_source = 'self' and self_weight > 0 then {{ capped_div('weight', 'weight * dimension_self_score', 'self_weight') }}
        end as score,
        case
            when score_source = 'reviewer' and reviewer_score < 0
                then {{ dbt.concat(["'reviewer score '", fmt('reviewer_score'), "' is negative'"]) }}
            when score_source = 'self' and self_weight <= 0
                then {{ dbt.concat(["'self-evaluation dimension '", "self_dimension", "' has no weight'"]) }}
            when score_source = 'none' then {{ dbt.concat(["'judgment item without '",
                "case when judged_by_reviewer and judged_by_self and self_dimension is not null then "
                ~ "case when reviewer_first then " ~ dbt.concat(["'a reviewer score or a self-evaluation of '''", "self_dimension", "''''"])
                ~ " else " ~ dbt.concat(["'a self-evaluation of '''", "self_dimension", "''' or a reviewer score'"]) ~ " end "
                ~ "when judged_by_reviewer then 'a reviewer score' "
                ~ "when judged_by_self and self_dimension is not null then "
                ~ dbt.concat(["'a self-evaluation of '''", "self_dimension", "''''"])
                ~ " else 'any source' end"]) }}
        end as finding
    from sourced
)
select
    entity_type, entity_code, department_code, project_code, department_name, fiscal_year, is_synthetic,
    rule_set, item_no, cast(null as integer) as indicator_no, cast(null as bigint) as part_no,
    dimension, item, item as indicator, rule, weight, score, score_source,
    case
        when finding is not null then {{ dbt.concat(["prefix", "'not scored: '", "finding"]) }}
        when score_source = 'reviewer' then {{ dbt.concat([
            "prefix", "'reviewer''s score'",
            "case when reviewer is not null and reviewer <> '' then " ~ dbt.concat(["' ('", "reviewer", "')'"]) ~ " else '' end",
            "' '", fmt('reviewer_score'),
            "case when reviewer_score > weight then ' capped at the weight' else '' end",
            "case when note is not null and note <> '' then " ~ dbt.concat(["': '", "note"]) ~ " else '' end",
            "' → '", fmt('score')]) }}
        else {{ dbt.concat([
            "prefix", "'no reviewer score: the department''s self-evaluation of '", "self_dimension", "' ('",
            fmt('dimension_self_score'), "'/'", fmt('self_weight'), "') × weight '", fmt('weight'), "' → '", fmt('score')]) }}
    end as explanation,
    cast(null as decimal(28,10)) as figure_value,
    cast(null as {{ dbt.type_string() }}) as rating,
    finding
from scored
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
