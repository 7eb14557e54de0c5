-- indicator_completion items: each chosen report indicator scores its share of the item. The share
-- is the form's own points when every chosen indicator states some (scaled to the item's weight with
-- scale_to_weight), else the item's weight shared equally. A quantitative indicator scores share ×
-- completion (its stated completion when none is computable), capped; a qualitative one (or a
-- quantitative one with a text actual) the computed share of its assessment's band.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
with items as (
    select i.rule_set, i.item_no, i.dimension, i.item, i.rule, cast(i.weight as decimal(18,4)) as item_weight,
           i.scale_to_weight
    from {{ source('rule_sets', 'rule_set_items') }} as i
    where i.rule = 'indicator_completion'
),
per_entity as (
    select c.entity_type, c.entity_code, c.fiscal_year, c.rule_set, c.item, count(*) as chosen_count,
           sum(case when c.weight is not null and c.weight > 0 then 0 else 1 end) = 0 as use_stated,
           sum(c.weight) as stated_sum
    from {{ ref('scr_chosen_indicators') }} as c
    group by c.entity_type, c.entity_code, c.fiscal_year, c.rule_set, c.item
),
weighted as (
    select
        c.*, e.project_code, e.department_name, e.is_synthetic,
        items.item_no, items.dimension, items.rule, items.item_weight, items.scale_to_weight,
        p.chosen_count, p.use_stated, p.stated_sum,
        case
            when not p.use_stated then {{ div_half_up('items.item_weight', 'p.chosen_count') }}
            when p.stated_sum = items.item_weight or not items.scale_to_weight then {{ points('c.weight') }}
            else {{ div_half_up('c.weight * items.item_weight', 'p.stated_sum') }}
        end as indicator_weight,
        case
            when not p.use_stated then 'equal shares'
            when p.stated_sum = items.item_weight then 'the form''s points'
            when items.scale_to_weight then {{ dbt.concat(["'the form''s points scaled from '", fmt('p.stated_sum'),
                "' to '", fmt('items.item_weight'), "' (scale_to_weight)'"]) }}
            else {{ dbt.concat(["'the form''s own points (sum '", fmt('p.stated_sum'), "') in place of the rule set''s '",
                fmt('items.item_weight')]) }}
        end as basis,
        case when not p.use_stated or (items.scale_to_weight and p.stated_sum <> items.item_weight)
             then items.item_weight else p.stated_sum end as basis_total
    from {{ ref('scr_chosen_indicators') }} as c
    join items on items.rule_set = c.rule_set and items.item = c.item
    join per_entity as p
        on p.entity_type = c.entity_type and p.entity_code = c.entity_code and p.fiscal_year = c.fiscal_year
        and p.rule_set = c.rule_set and p.item = c.item
    join {{ ref('scr_entities') }} as e
        on e.entity_type = c.entity_type and e.entity_code = c.entity_code and e.fiscal_year = c.fiscal_year
),
rated as (
    select
        weighted.*,
        {{ dbt.concat(["coalesce(indicator_name, 'None')", "' ('", "basis", "': '", fmt('indicator_weight'), "' of '",
                       fmt('basis_total'), "'): '"]) }} as head,
        case when target_kind = 'quantitative' then coalesce(completion_rate, stated_completion_rate) end as rate,
        case when completion_rate is null then 'stated completion (no rate computable)' else 'completion' end
            as rate_basis,
        case
            when target_kind = 'quantitative' and coalesce(completion_rate, stated_completion_rate) is not null then 'rate'
            when target_kind = 'quantitative' and (target_value = 0 or assessment is null) then 'unscorable'
            else 'band'
        end as path
    from weighted
),
banded as (
    select rated.*, b.level as band_level, b.share_lower, b.share_upper, b.computed_share
    from rated
    left join {{ source('rule_sets', 'rule_set_qualitative_bands') }} as b
        on rated.path = 'band' and b.rule_set = rated.rule_set and b.item = rated.item
        and b.level = coalesce(rated.assessment, '')
),
scored as (
    select
        banded.*,
        case
            when path = 'rate' then {{ capped('indicator_weight', 'indicator_weight * rate') }}
            when path = 'band' and band_level is not null then {{ points('indicator_weight * computed_share') }}
        end as score,
        case
            when path = 'unscorable' then {{ dbt.concat([
                "'indicator '''", "coalesce(indicator_name, 'None')", "''': target '", pyrepr('target_text'),
                "', actual '", pyrepr('actual_text'), "': '",
                "case when target_value = 0 then 'the target is zero' else "
                ~ "'no completion rate (text actual, or units that differ) and no recognised assessment' end"]) }}
            when path = 'band' and band_level is null then {{ dbt.concat([
                "'indicator '''", "coalesce(indicator_name, 'None')", "''': qualitative actual '", pyrepr('actual_text'),
                "' has no recognised assessment'"]) }}
        end as finding,
        case when target_kind = 'quantitative' and path = 'band'
             then 'quantitative target with a text actual, scored on its assessment: ' else '' end as band_prefix
    from banded
)
select
    entity_type, entity_code, department_code, project_code, department_name, fiscal_year, is_synthetic,
    rule_set, item_no, indicator_no, part_no,
    dimension, item, coalesce(indicator_name, item) as indicator, rule, indicator_weight as weight, score,
    'computed' as score_source,
    case
        when finding is not null then {{ dbt.concat(["head", "band_prefix", "'not scored: '", "finding"]) }}
        when path = 'rate' then {{ dbt.concat([
            "head", "rate_basis", "' '", fmt('rate'), "' × '", fmt('indicator_weight'),
            "case when rate > 1 then ' capped at the weight' else '' end", "' → '", fmt('score')]) }}
        else {{ dbt.concat([
            "head", "band_prefix", pyrepr('actual_text'), "' → '", "band_level", "' (band '", fmt('share_lower * 100'),
            "'-'", fmt('share_upper * 100'), "'%; computed at '", fmt('computed_share * 100'), "'%) → '", fmt('score')]) }}
    end as explanation,
    case when path = 'rate' then rate end as figure_value,
    cast(null as {{ dbt.type_string() }}) as rating,
    finding
from scored
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
