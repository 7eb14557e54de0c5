-- Performance indicators of departments and projects, one row per indicator: a slash-packed row
-- ("招商引资总额/实际利用外资", "37.74亿元/1.92亿美元") is split into its parts when its name and its
-- target have the same number of parts; its actual is split too when it has that number of parts,
-- else every part keeps the whole actual text. The target that counts is the adjusted one
-- (调整指标值) where the form states it. Targets are parsed into comparator, direction, value (two for
-- a range) and unit, with the comparator words of macros/targets.sql before or after the number;
-- the direction comes from 指标性质, else the written comparator, else the indicator library
-- (seeds/indicator_library.csv), else higher-is-better. Actuals are parsed into value, unit, the
-- period they cover (1-11月) and any completion percentage they state. A form's separate 度量单位
-- column gives the unit of bare numbers. Qualitative targets keep their text and get no value.
with typed as (
    {{ staged_select('indicators') }}
),

packed as (
    select
        *,
        coalesce({{ unless_placeholder('adjusted_target_text') }}, target_text) as effective_target_text,
        {{ split_text("replace(indicator_name, '／', '/')", '/') }} as name_parts,
        {{ split_text("replace(coalesce(" ~ unless_placeholder('adjusted_target_text') ~ ", target_text, ''), '／', '/')", '/') }}
            as target_parts,
        {{ split_text("replace(coalesce(actual_text, ''), '／', '/')", '/') }} as actual_parts
    from typed
),

counted as (
    select
        *,
        case
            when {{ list_length('name_parts') }} > 1 and {{ list_length('name_parts') }} = {{ list_length('target_parts') }} then {{ list_length('name_parts') }}
            else 1
        end as part_count
    from packed
),

exploded as (
    select
        counted.*,
        part_no,
        case when part_count > 1 then trim({{ list_item('name_parts', 'part_no') }}) else indicator_name end as part_name,
        case when part_count > 1 then trim({{ list_item('target_parts', 'part_no') }}) else trim(effective_target_text) end as part_target,
        case
            when part_count > 1 and {{ list_length('actual_parts') }} = part_count then trim({{ list_item('actual_parts', 'part_no') }})
            else actual_text
        end as part_actual
    from counted
    {{ join_numbers_up_to('counted', 'counted.part_count', 'part_no') }}
),

normalised as (
    select
        *,
        {{ normalize_text('part_target') }} as t,
        {{ normalize_text('part_actual') }} as a,
        {{ comparator_of_nature('nature') }} as nature_comparator
    from exploded
),

target_parsed as (
    select
        *,
        {{ regexp_groups('t', single_target_pattern(), ['word_pre', 'num', 'unit', 'word_post']) }} as single_match,
        {{ regexp_groups('t', range_target_pattern(), ['low', 'low_unit', 'high', 'high_unit']) }} as range_match,
        {{ regexp_groups('a', '完成\\s*' ~ number_pattern() ~ '\\s*([^\\s0-9(),;:/.，。；、]*)', ['num', 'unit']) }}
            as done_match,
        {{ regexp_groups('a', leading_actual_pattern(), ['num', 'unit']) }} as leading_match,
        {{ regexp_extract('a', '(?:进度|完成率|完成|\\()\\s*([0-9]+(?:\\.[0-9]+)?)\\s*%', 1) }} as stated_completion_pct,
        nullif({{ regexp_extract('a', '([0-9]{1,2}-[0-9]{1,2}月)', 1) }}, '') as actual_period
    from normalised
),

matched as (
    select
        *,
        single_match.word_pre as word_before,
        single_match.num as single_value,
        single_match.unit as single_unit,
        single_match.word_post as word_after,
        range_match.low as range_low,
        coalesce(nullif(range_match.low_unit, ''), nullif(range_match.high_unit, '')) as range_unit,
        range_match.high as range_high,
        done_match.num as done_value,
        done_match.unit as done_unit,
        leading_match.num as leading_value,
        leading_match.unit as leading_unit
    from target_parsed
),

library_matched as (
    select
        p.*,
        (
            select l.direction from {{ ref('indicator_library') }} as l
            where contains(replace(replace(replace(p.part_name, '“', ''), '”', ''), '"', ''), l.keyword)
            order by length(l.keyword) desc
            limit 1
        ) as library_direction
    from matched as p
),

classified as (
    select
        *,
        case
            when nullif(trim(part_target), '') is null then 'none'
            when {{ regexp_full_match('trim(part_target)', '[-—–/无]+') }} then 'none'
            when nature_comparator = 'qualitative' then 'qualitative'
            when single_value <> '' or range_low <> '' then 'quantitative'
            else 'qualitative'
        end as target_kind,
        {{ comparator_of('word_before', 'word_after') }} as written_comparator,
        range_low <> '' and single_value = '' as is_range,
        case when done_value <> '' then done_value else leading_value end as actual_number,
        {{ strip_after_word("case when done_value <> '' then done_unit else leading_unit end") }} as actual_unit_written,
        nullif(trim({{ normalize_text('measure_unit') }}), '') as column_unit
    from library_matched
),

compared as (
    select
        *,
        case
            when target_kind <> 'quantitative' then null
            when is_range then 'range'
            when nature_comparator is not null then nature_comparator
            when written_comparator is not null then written_comparator
            when library_direction = 'lower' then '≤'
            else '≥'
        end as comparator,
        case
            when target_kind <> 'quantitative' then null
            when is_range then 'range'
            when nature_comparator is not null then 'nature'
            when written_comparator is not null then 'written'
            when library_direction is not null then 'library'
            else 'default'
        end as comparator_source,
        case
            when is_range then coalesce(range_unit, column_unit)
            else coalesce(nullif(single_unit, ''), column_unit)
        end as target_unit_text
    from classified
)

select
    a.department_code,
    a.fiscal_year,
    coalesce(a.entity_type, case when a.project_code is not null then 'project' else 'department' end) as entity_type,
    a.project_code,
    a.source_table,
    a.indicator_no,
    cast(a.part_no as bigint) as part_no,
    a.part_count,
    a.level1,
    a.level2,
    {{ heading_name('a.level1') }} as level1_name,
    {{ heading_points('a.level1') }} as level1_points,
    {{ heading_name('a.level2') }} as level2_name,
    {{ heading_points('a.level2') }} as level2_points,
    a.indicator_name as packed_indicator_name,
    a.part_name as indicator_name,
    a.nature,
    a.target_text as initial_target_text,
    a.adjusted_target_text,
    a.effective_target_text as packed_target_text,
    a.part_target as target_text,
    a.measure_unit,
    a.actual_text as packed_actual_text,
    a.part_actual as actual_text,
    a.target_kind,
    a.comparator,
    a.comparator_source,
    a.comparator_source not in ('written', 'nature', 'range') as comparator_implied,
    {{ direction_of('a.comparator') }} as direction,
    case when a.target_kind = 'quantitative' then cast(nullif(replace(
        case when a.is_range then a.range_low else a.single_value end, ',', ''), '') as decimal(24,6)) end
        as target_value,
    case when a.is_range then cast(nullif(replace(a.range_high, ',', ''), '') as decimal(24,6)) end as target_value_high,
    case when a.target_kind = 'quantitative' then coalesce(target_unit.canonical_unit, a.target_unit_text) end
        as target_unit,
    target_unit.dimension as target_dimension,
    target_unit.base_factor as target_base_factor,
    -- a unit the unit table does not know is still comparable with the same unit in the target
    case when actual_unit.unit is not null or a.actual_unit_written in ('', a.target_unit_text)
        then cast(nullif(replace(a.actual_number, ',', ''), '') as decimal(24,6)) end as actual_value,
    case
        when actual_unit.unit is not null then actual_unit.canonical_unit
        when a.actual_number <> '' and a.actual_unit_written = a.target_unit_text then a.target_unit_text
        when a.actual_number <> '' and a.actual_unit_written = ''
            then coalesce(column_unit.canonical_unit, a.column_unit, target_unit.canonical_unit, a.target_unit_text)
    end as actual_unit,
    a.actual_number <> '' and a.actual_unit_written = '' as actual_unit_implied,
    coalesce(actual_unit.dimension,
             case when a.actual_unit_written = '' then coalesce(column_unit.dimension, target_unit.dimension) end)
        as actual_dimension,
    coalesce(actual_unit.base_factor,
             case when a.actual_unit_written = '' then coalesce(column_unit.base_factor, target_unit.base_factor) end)
        as actual_base_factor,
    a.actual_period,
    cast(cast(nullif(a.stated_completion_pct, '') as decimal(18,8)) * 0.01 as decimal(18,10)) as stated_completion_rate,
    nullif(a.stated_completion_pct, '') || '%' as stated_completion_rate_text,
    a.weight,
    a.weight_text,
    a.score_coefficient,
    a.score_coefficient_text,
    a.self_score,
    a.self_score_text,
    a.is_core,
    {{ unless_placeholder('a.deviation_reason') }} as deviation_reason,
    a._source_file,
    a._source_row,
    a._partition_year
from compared as a
left join {{ ref('units') }} as target_unit on target_unit.unit = a.target_unit_text
left join {{ ref('units') }} as actual_unit on actual_unit.unit = nullif(a.actual_unit_written, '')
left join {{ ref('units') }} as column_unit on column_unit.unit = a.column_unit
