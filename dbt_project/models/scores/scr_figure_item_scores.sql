-- The items scored on one figure of the entity-year: execution_rate, proportional_higher,
-- proportional_lower, deduction_over_standard and qualitative_bands (docs/scoring.md). A missing
-- figure or an unusable target gives no points and a finding, never an error.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
with items as (
    select e.*, i.rule_set, i.item_no, i.dimension, i.item, i.rule, i.figure, i.stated_figure,
           cast(i.weight as decimal(18,4)) as weight, i.target, i.standard, i.points_per_point
    from {{ ref('scr_entities') }} as e
    join {{ source('rule_sets', 'rule_sets') }} as s on s.applies_to = e.entity_type
    join {{ source('rule_sets', 'rule_set_items') }} as i on i.rule_set = s.rule_set
    where i.rule in ('execution_rate', 'proportional_higher', 'proportional_lower', 'deduction_over_standard',
                     'qualitative_bands')
),
with_figures as (
    select items.*, f.figure_value as value, sf.figure_value as stated_value,
           (f.figure_value is null and sf.figure_value is not null) as uses_stated
    from items
    left join {{ ref('scr_figures') }} as f
        on f.entity_type = items.entity_type and f.entity_code = items.entity_code
        and f.fiscal_year = items.fiscal_year and f.figure = items.figure
    left join {{ ref('scr_figures') }} as sf
        on sf.entity_type = items.entity_type and sf.entity_code = items.entity_code
        and sf.fiscal_year = items.fiscal_year and sf.figure = items.stated_figure
),
-- The qualitative band a figure falls in: the highest band whose min_value it reaches, else the lowest.
bands as (
    select w.entity_type, w.entity_code, w.fiscal_year, w.rule_set, w.item,
           coalesce(min(case when w.value >= b.min_value then b.band_no end), max(b.band_no)) as band_no
    from with_figures as w
    join {{ source('rule_sets', 'rule_set_qualitative_bands') }} as b on b.rule_set = w.rule_set and b.item = w.item
    where w.rule = 'qualitative_bands'
    group by w.entity_type, w.entity_code, w.fiscal_year, w.rule_set, w.item
),
scored as (
    select
        w.*,
        b.level as band_level, b.share_lower, b.share_upper, b.computed_share,
        case
            when w.rule = 'execution_rate' and w.uses_stated then {{ capped('w.weight', 'w.weight * w.stated_value') }}
            when w.value is null then null
            when w.rule = 'execution_rate' then {{ capped('w.weight', 'w.weight * w.value') }}
            when w.rule = 'proportional_higher' then
                case when w.target = 0 then null else {{ capped_div('w.weight', 'w.weight * w.value', 'w.target') }} end
            when w.rule = 'proportional_lower' then
                case when w.target <= 0 then null
                     when w.value <= 0 then {{ points('w.weight') }}
                     else {{ capped_div('w.weight', 'w.weight * w.target', 'w.value') }} end
            when w.rule = 'deduction_over_standard' then
                {{ capped('w.weight', 'w.weight - (case when w.value > w.standard then (w.value - w.standard) * 100 else 0 end) * w.points_per_point') }}
            when w.rule = 'qualitative_bands' then {{ points('w.weight * b.computed_share') }}
        end as score,
        case when w.value > w.standard then (w.value - w.standard) * 100 else 0 end as over_points
    from with_figures as w
    left join bands as wb
        on wb.entity_type = w.entity_type and wb.entity_code = w.entity_code and wb.fiscal_year = w.fiscal_year
        and wb.rule_set = w.rule_set and wb.item = w.item
    left join {{ source('rule_sets', 'rule_set_qualitative_bands') }} as b
        on b.rule_set = w.rule_set and b.item = w.item and b.band_no = wb.band_no
),
explained as (
    select
        scored.*,
        case
            when rule = 'proportional_higher' and (target is null or target = 0)
                then {{ dbt.concat(["'target of '", "figure", "' is '", "case when target is null then 'missing' else 'zero' end"]) }}
            when rule = 'proportional_lower' and (target is null or target <= 0)
                then {{ dbt.concat(["'target of '", "figure", "' is '", "case when target is null then 'missing' else 'not positive' end"]) }}
            when rule = 'execution_rate' and uses_stated then null
            when value is null then {{ dbt.concat(["'figure '", "figure", "' is missing'"]) }}
        end as finding
    from scored
)
select
    entity_type, entity_code, department_code, project_code, department_name, fiscal_year, is_synthetic,
    rule_set, item_no, cast(null as integer) as indicator_no, cast(null as bigint) as part_no,
    dimension, item, figure as indicator, rule, weight, score,
    case when rule = 'execution_rate' and uses_stated then 'stated' else 'computed' end as score_source,
    case
        when finding is not null then {{ dbt.concat(["'not scored: '", "finding"]) }}
        when rule = 'execution_rate' and uses_stated then {{ dbt.concat([
            "figure", "' missing; the stated figure is used: '", "stated_figure", "' '", fmt('stated_value'),
            "' × weight '", fmt('weight'), "' = '", fmt('weight * stated_value'),
            "case when weight * stated_value > weight then ' capped at the weight' else '' end",
            "' → '", fmt('score')]) }}
        when rule = 'execution_rate' then {{ dbt.concat([
            "figure", "' '", fmt('value'), "' × weight '", fmt('weight'), "' = '", fmt('weight * value'),
            "case when weight * value > weight then ' capped at the weight' else '' end", "' → '", fmt('score')]) }}
        when rule = 'proportional_higher' then {{ dbt.concat([
            "'higher is better: weight '", fmt('weight'), "' × '", "figure", "' '", fmt('value'), "' / target '",
            fmt('target'),
            "case when (target > 0 and value > target) or (target < 0 and value < target) then ' (capped at the weight)' else '' end",
            "' → '", fmt('score')]) }}
        when rule = 'proportional_lower' and value <= 0 then {{ dbt.concat([
            "'lower is better: '", "figure", "' '", fmt('value'), "' is at or below zero → full weight'"]) }}
        when rule = 'proportional_lower' then {{ dbt.concat([
            "'lower is better: weight '", fmt('weight'), "' × target '", fmt('target'), "' / '", "figure", "' '",
            fmt('value'), "case when target > value then ' (capped at the weight)' else '' end", "' → '", fmt('score')]) }}
        when rule = 'deduction_over_standard' and over_points = 0 then {{ dbt.concat([
            "figure", "' '", fmt('value'), "' within the standard '", fmt('standard'), "' → full weight '", fmt('score')]) }}
        when rule = 'deduction_over_standard' then {{ dbt.concat([
            "figure", "' '", fmt('value'), "' is '", fmt('over_points'), "' percentage points over the standard '",
            fmt('standard'), "'; '", fmt('points_per_point'), "' per point off '", fmt('weight'), "' → '", fmt('score')]) }}
        when rule = 'qualitative_bands' then {{ dbt.concat([
            "figure", "' '", fmt('value'), "' → '", "band_level", "' (band '", fmt('share_lower * 100'), "'-'",
            fmt('share_upper * 100'), "'% of the weight; computed at '", fmt('computed_share * 100'), "'%) → '",
            fmt('score')]) }}
    end as explanation,
    case when rule = 'execution_rate' and uses_stated then stated_value else value end as figure_value,
    cast(null as {{ dbt.type_string() }}) as rating,
    finding
from explained
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
