{#
  Grade bands as written in reports: "【100，90】 优秀", "（90，80】 良好". The first bracket belongs
  to the first number and the last bracket to the second; a square bracket (【】[]) includes its
  end, a round one (（）()) excludes it; the band may be written high-to-low or low-to-high.
  Selects band_no, interval_text, grade, upper_bound, lower_bound, upper_inclusive,
  lower_inclusive and the `carry` columns from `relation`.
#}
{% macro parse_grade_bands(relation, carry=[]) -%}
select
    {%- for column in carry %}
    {{ column }},
    {%- endfor %}
    band_no,
    interval_text,
    grade,
    greatest(first_number, second_number) as upper_bound,
    least(first_number, second_number) as lower_bound,
    case when first_number >= second_number then parts.open = '[' else parts.close = ']' end as upper_inclusive,
    case when first_number >= second_number then parts.close = ']' else parts.open = '[' end as lower_inclusive
from (
    select
        *,
        try_cast(parts.first as decimal(9,4)) as first_number,
        try_cast(parts.second as decimal(9,4)) as second_number
    from (
        select
            *,
            {{ regexp_groups(normalize_text('interval_text'),
                '^\\s*([\\[\\(])\\s*([0-9.]+)\\s*[,，]\\s*([0-9.]+)\\s*([\\]\\)])\\s*$',
                ['open', 'first', 'second', 'close']) }} as parts
        from {{ relation }}
    )
) as parsed
{%- endmacro %}
