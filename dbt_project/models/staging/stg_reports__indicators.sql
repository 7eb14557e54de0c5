-- Performance indicators, one row per indicator: a slash-packed row ("招商引资总额/实际利用外资",
-- "37.74亿元/1.92亿美元") is split into its parts when its name and its target have the same
-- number of parts; its actual is split too when it has that number of parts, else every part
-- keeps the whole actual text. Targets are parsed into comparator, value and unit; actuals into
-- value, unit, the period they cover (1-11月) and any completion percentage they state.
-- Qualitative targets ("按考核要求完成") keep their text and get no value.
with typed as (
    {{ staged_select('indicators') }}
),

packed as (
    select
        *,
        string_split(replace(indicator_name, '／', '/'), '/') as name_parts,
        string_split(replace(coalesce(target_text, ''), '／', '/'), '/') as target_parts,
        string_split(replace(coalesce(actual_text, ''), '／', '/'), '/') as actual_parts
    from typed
),

counted as (
    select
        *,
        case
            when len(name_parts) > 1 and len(name_parts) = len(target_parts) then len(name_parts)
            else 1
        end as part_count
    from packed
),

exploded as (
    select
        counted.*,
        part_no,
        case when part_count > 1 then trim(name_parts[part_no]) else indicator_name end as part_name,
        case when part_count > 1 then trim(target_parts[part_no]) else trim(target_text) end as part_target,
        case
            when part_count > 1 and len(actual_parts) = part_count then trim(actual_parts[part_no])
            else actual_text
        end as part_actual
    from counted
    cross join lateral (select unnest(generate_series(1, counted.part_count)) as part_no)
),

target_parsed as (
    select
        *,
        regexp_extract(
            {{ normalize_text('part_target') }},
            '^\s*(≥|≤|>=|<=|=|>|<|不低于|不少于|不高于|不超过|大于|小于|达到)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s0-9]*)\s*$',
            ['comparator', 'value', 'unit']
        ) as target_match,
        regexp_extract(
            {{ normalize_text('part_actual') }},
            '完成\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s0-9(),;:/.，。；、]*)', ['value', 'unit']
        ) as actual_after_done,
        regexp_extract(
            {{ normalize_text('part_actual') }},
            '^\s*(?:≥|≤|>=|<=|=)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s0-9(),;:/.，。；、]*)', ['value', 'unit']
        ) as actual_leading,
        regexp_extract(
            {{ normalize_text('part_actual') }},
            '(?:进度|完成率|完成|\()\s*([0-9]+(?:\.[0-9]+)?)\s*%', 1
        ) as stated_completion_pct,
        nullif(regexp_extract({{ normalize_text('part_actual') }}, '([0-9]{1,2}-[0-9]{1,2}月)', 1), '')
            as actual_period
    from exploded
),

actual_chosen as (
    select
        *,
        case when actual_after_done.value <> '' then actual_after_done else actual_leading end as actual_match
    from target_parsed
)

select
    a.department_code,
    a.fiscal_year,
    a.source_table,
    a.indicator_no,
    a.part_no,
    a.part_count,
    a.level1,
    a.level2,
    a.indicator_name as packed_indicator_name,
    a.part_name as indicator_name,
    a.target_text as packed_target_text,
    a.part_target as target_text,
    a.actual_text as packed_actual_text,
    a.part_actual as actual_text,
    case
        when nullif(trim(a.part_target), '') is null then 'none'
        when regexp_full_match(trim(a.part_target), '[-—–/无]+') then 'none'
        when a.target_match.value <> '' then 'quantitative'
        else 'qualitative'
    end as target_kind,
    case
        when a.target_match.value = '' then null
        when a.target_match.comparator in ('≥', '>=', '不低于', '不少于', '达到') then '≥'
        when a.target_match.comparator in ('≤', '<=', '不高于', '不超过') then '≤'
        when a.target_match.comparator in ('>', '大于') then '>'
        when a.target_match.comparator in ('<', '小于') then '<'
        when a.target_match.comparator = '=' then '='
        else '≥'
    end as comparator,
    a.target_match.value <> '' and a.target_match.comparator = '' as comparator_implied,
    cast(nullif(replace(a.target_match.value, ',', ''), '') as decimal(24,6)) as target_value,
    coalesce(target_unit.canonical_unit, nullif(a.target_match.unit, '')) as target_unit,
    target_unit.dimension as target_dimension,
    target_unit.base_factor as target_base_factor,
    case when actual_unit.unit is not null or a.actual_match.unit = ''
        then cast(nullif(replace(a.actual_match.value, ',', ''), '') as decimal(24,6)) end as actual_value,
    case
        when actual_unit.unit is not null then actual_unit.canonical_unit
        when a.actual_match.value <> '' and a.actual_match.unit = '' then coalesce(target_unit.canonical_unit, nullif(a.target_match.unit, ''))
    end as actual_unit,
    a.actual_match.value <> '' and a.actual_match.unit = '' as actual_unit_implied,
    coalesce(actual_unit.dimension, case when a.actual_match.unit = '' then target_unit.dimension end)
        as actual_dimension,
    coalesce(actual_unit.base_factor, case when a.actual_match.unit = '' then target_unit.base_factor end)
        as actual_base_factor,
    a.actual_period,
    cast(nullif(a.stated_completion_pct, '') as decimal(18,8)) * 0.01 as stated_completion_rate,
    nullif(a.stated_completion_pct, '') || '%' as stated_completion_rate_text,
    a.weight,
    a.self_score,
    a.deviation_reason,
    a._source_file,
    a._source_row,
    a._partition_year
from actual_chosen as a
left join {{ ref('units') }} as target_unit on target_unit.unit = nullif(a.target_match.unit, '')
left join {{ ref('units') }} as actual_unit on actual_unit.unit = nullif(a.actual_match.unit, '')
