-- pefa_rating items: the figure over the window of window_years ending in the scored year; the
-- tightest rating met in at least min_years of the known years, else the last (fallback) rating; not
-- rated (NR) when fewer than min_years are known. A year reads up to window_years - 1 earlier years.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
with items as (
    select e.*, i.rule_set, i.item_no, i.dimension, i.item, i.rule, i.figure,
           cast(i.weight as decimal(18,4)) as weight, i.measure, i.window_years, i.min_years,
           e.fiscal_year - i.window_years + 1 as first_year
    from {{ ref('scr_entities') }} as e
    join {{ source('rule_sets', 'rule_sets') }} as s on s.applies_to = e.entity_type
    join {{ source('rule_sets', 'rule_set_items') }} as i on i.rule_set = s.rule_set
    where i.rule = 'pefa_rating'
),
-- The known values of the window (a year without the figure is not known).
known as (
    select items.entity_type, items.entity_code, items.fiscal_year, items.rule_set, items.item,
           f.fiscal_year as value_year, f.figure_value,
           case when items.measure = 'deviation_from_one' then abs(f.figure_value - 1) else f.figure_value end as measured
    from items
    join {{ ref('scr_figures') }} as f
        on f.entity_type = items.entity_type and f.entity_code = items.entity_code and f.figure = items.figure
        and f.fiscal_year between items.first_year and items.fiscal_year
    where f.figure_value is not null
),
window_summary as (
    select entity_type, entity_code, fiscal_year, rule_set, item, count(*) as known_years,
           {{ text_agg(dbt.concat(["cast(value_year as " ~ dbt.type_string() ~ ")", "': '", fmt('figure_value')]), ', ', order_by='value_year') }} as window_values
    from known
    group by entity_type, entity_code, fiscal_year, rule_set, item
),
-- How many known years meet each rating.
meeting as (
    select k.entity_type, k.entity_code, k.fiscal_year, k.rule_set, k.item, r.rating_no,
           sum(case when r.max_value is null or k.measured < r.max_value
                         or (r.max_closed and k.measured = r.max_value) then 1 else 0 end) as years_meeting
    from known as k
    join {{ source('rule_sets', 'rule_set_pefa_ratings') }} as r on r.rule_set = k.rule_set and r.item = k.item
    group by k.entity_type, k.entity_code, k.fiscal_year, k.rule_set, k.item, r.rating_no
),
chosen as (
    select m.entity_type, m.entity_code, m.fiscal_year, m.rule_set, m.item, min(m.rating_no) as rating_no
    from meeting as m
    join items as i
        on i.entity_type = m.entity_type and i.entity_code = m.entity_code and i.fiscal_year = m.fiscal_year
        and i.rule_set = m.rule_set and i.item = m.item
    join {{ source('rule_sets', 'rule_set_pefa_ratings') }} as r
        on r.rule_set = m.rule_set and r.item = m.item and r.rating_no = m.rating_no
    where m.years_meeting >= i.min_years or r.max_value is null
    group by m.entity_type, m.entity_code, m.fiscal_year, m.rule_set, m.item
),
rated as (
    select
        items.*,
        coalesce(ws.known_years, 0) as known_years,
        ws.window_values,
        f.figure_value as value,
        r.rating as chosen_rating, r.max_value, r.max_closed, r.share,
        m.years_meeting,
        {{ points('items.weight * r.share') }} as rated_score
    from items
    left join window_summary as ws
        on ws.entity_type = items.entity_type and ws.entity_code = items.entity_code
        and ws.fiscal_year = items.fiscal_year and ws.rule_set = items.rule_set and ws.item = items.item
    left join chosen as c
        on c.entity_type = items.entity_type and c.entity_code = items.entity_code
        and c.fiscal_year = items.fiscal_year and c.rule_set = items.rule_set and c.item = items.item
    left join {{ source('rule_sets', 'rule_set_pefa_ratings') }} as r
        on r.rule_set = items.rule_set and r.item = items.item and r.rating_no = c.rating_no
    left join meeting as m
        on m.entity_type = items.entity_type and m.entity_code = items.entity_code
        and m.fiscal_year = items.fiscal_year and m.rule_set = items.rule_set and m.item = items.item
        and m.rating_no = c.rating_no
    left join {{ ref('scr_figures') }} as f
        on f.entity_type = items.entity_type and f.entity_code = items.entity_code
        and f.fiscal_year = items.fiscal_year and f.figure = items.figure
),
explained as (
    select
        rated.*,
        (known_years < min_years) as not_rated,
        {{ dbt.concat([
            "figure", "' known for '", "cast(known_years as " ~ dbt.type_string() ~ ")", "' of the '",
            "cast(window_years as " ~ dbt.type_string() ~ ")", "' years '", "cast(first_year as " ~ dbt.type_string() ~ ")",
            "'-'", "cast(fiscal_year as " ~ dbt.type_string() ~ ")", "'; a rating needs '",
            "cast(min_years as " ~ dbt.type_string() ~ ")"]) }} as nr_reason
    from rated
)
select
    entity_type, entity_code, department_code, project_code, department_name, fiscal_year, is_synthetic,
    rule_set, item_no, cast(null as integer) as indicator_no, cast(null as bigint) as part_no,
    dimension, item, figure as indicator, rule, weight,
    case when not_rated then null else rated_score end as score,
    'computed' as score_source,
    case when not_rated then {{ dbt.concat(["'not rated (NR): '", "nr_reason"]) }}
         else {{ dbt.concat([
            "figure", "' over '", "cast(first_year as " ~ dbt.type_string() ~ ")", "'-'",
            "cast(fiscal_year as " ~ dbt.type_string() ~ ")", "' ('", "window_values", "'); rating '", "chosen_rating",
            "': '",
            "case when max_value is null then 'no tighter rating met' else " ~ dbt.concat([
                "case when measure = 'deviation_from_one' then '|x − 1|' else 'x' end",
                "case when max_closed then ' ≤ ' else ' < ' end", fmt('max_value')]) ~ " end",
            "' in '", "cast(years_meeting as " ~ dbt.type_string() ~ ")", "' year(s) → '", fmt('share * 100'),
            "'% of '", fmt('weight'), "' = '", fmt('rated_score')]) }}
    end as explanation,
    value as figure_value,
    case when not_rated then 'NR' else chosen_rating end as rating,
    case when not_rated then nr_reason end as finding
from explained
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
