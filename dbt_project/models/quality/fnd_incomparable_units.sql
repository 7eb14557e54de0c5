-- A target and an actual in quantities that cannot be compared (yuan against dollars, a percentage
-- against an amount): no completion rate is computed, and the stated one cannot be checked.
select
    'incomparable_units' as check_name,
    'info' as severity,
    i.department_code,
    i.fiscal_year,
    i._source_file as source_file,
    i._source_row as source_row,
    'actual_text' as source_column,
    i.indicator_name as subject,
    i.project_code,
    i.target_text as stated_value,
    {{ trimmed('i.actual_value') }} || i.actual_unit as computed_value,
    i.indicator_name || '：目标以' || i.target_unit || '计，实际以' || i.actual_unit || '计，无法比较' as message_zh,
    i.indicator_name || ': target in ' || i.target_unit || ', actual in ' || i.actual_unit
        || ': not comparable without a conversion' as message_en
from {{ ref('int_indicators__completion') }} as i
left join {{ ref('units') }} as t on t.canonical_unit = i.target_unit and t.unit = t.canonical_unit
left join {{ ref('units') }} as a on a.canonical_unit = i.actual_unit and a.unit = a.canonical_unit
where i.target_kind = 'quantitative' and i.actual_value is not null and i.target_unit <> i.actual_unit
    and t.dimension is distinct from a.dimension
