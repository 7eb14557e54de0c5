{#
  How forms write targets: the comparator words, before or after the number, and what each means.
  One list for the target parser (models/staging/stg_reports__indicators.sql), the actual parser
  and the docs; the words are matched on text already through normalize_text (full-width signs
  become ASCII or ≥ ≤). Longer words first, so that 不低于 is not read as 低于. The first word found
  before the number wins over one after it.
#}
{% macro comparator_words() -%}
{%- set words = [
    ('大于等于', '≥'), ('小于等于', '≤'), ('不低于', '≥'), ('不少于', '≥'), ('不小于', '≥'), ('及以上', '≥'),
    ('不高于', '≤'), ('不超过', '≤'), ('不多于', '≤'), ('不大于', '≤'), ('控制在', '≤'), ('及以下', '≤'),
    ('至少', '≥'), ('以上', '≥'), ('达到', '≥'), ('最多', '≤'), ('以下', '≤'), ('以内', '≤'), ('之内', '≤'),
    ('>=', '≥'), ('<=', '≤'), ('大于', '>'), ('高于', '>'), ('超过', '>'), ('小于', '<'), ('低于', '<'),
    ('≥', '≥'), ('≤', '≤'), ('>', '>'), ('<', '<'), ('=', '='), ('内', '≤'),
] -%}
{#- Every word may stand before the number or after it (不低于95%, 95%以上, 95%不低于); longer first. -#}
{{ return({'before': words, 'after': words}) }}
{%- endmacro %}

{# 指标性质 as forms write it → comparator; 定性 marks a qualitative indicator. #}
{% macro nature_comparators() -%}
{{ return([
    ('=', '='), ('＝', '='), ('≥', '≥'), ('>=', '≥'), ('正向', '≥'), ('正向指标', '≥'), ('≤', '≤'), ('<=', '≤'),
    ('反向', '≤'), ('反向指标', '≤'), ('>', '>'), ('<', '<'), ('定性', 'qualitative'), ('定性指标', 'qualitative'),
]) }}
{%- endmacro %}

{% macro _alternation(pairs) -%}
{%- for word, _ in pairs %}{{ word }}{% if not loop.last %}|{% endif %}{% endfor -%}
{%- endmacro %}

{# A number as forms write it, after normalize_text. #}
{% macro number_pattern() -%}([0-9][0-9,]*(?:\.[0-9]+)?){%- endmacro %}

{#
  A single target: [word] number [unit] [word] — capture groups 1 before-word, 2 number, 3 unit,
  4 after-word. The unit is the shortest run of non-digits before an after-word.
#}
{% macro single_target_pattern() -%}
^\s*({{ _alternation(comparator_words()['before']) }})?\s*{{ number_pattern() }}\s*([^\s0-9<>=≥≤~()-]*?)\s*({{ _alternation(comparator_words()['after']) }})?\s*(?:\([^)]*\))?\s*[。.;；]?\s*$
{%- endmacro %}

{# A range: number [unit] - number [unit] (90%-95%, 90%—95%, 90-95%, 3至5天): groups 1 low, 2 unit,
   3 high, 4 unit. #}
{% macro range_target_pattern() -%}
^\s*{{ number_pattern() }}\s*([^\s0-9<>=≥≤~()—–-]*?)\s*(?:-|~|—|–|至|到)\s*{{ number_pattern() }}\s*([^\s0-9<>=≥≤~()—–-]*?)\s*(?:\([^)]*\))?\s*[。.;；]?\s*$
{%- endmacro %}

{# The comparator a before- or after-word means (NULL for none). #}
{% macro comparator_of(before, after) -%}
case
    {%- for word, comparator in comparator_words()['before'] %}
    when {{ before }} = '{{ word }}' then '{{ comparator }}'
    {%- endfor %}
    {%- for word, comparator in comparator_words()['after'] %}
    when {{ after }} = '{{ word }}' then '{{ comparator }}'
    {%- endfor %}
end
{%- endmacro %}

{# 指标性质 → comparator, or 'qualitative'; NULL when empty or not recognised. #}
{% macro comparator_of_nature(expr) -%}
case trim({{ normalize_text(expr) }})
    {%- for word, comparator in nature_comparators() %}
    when '{{ word }}' then '{{ comparator }}'
    {%- endfor %}
end
{%- endmacro %}

{# A unit written after the number, without a trailing comparator word (95%以上 → %). #}
{% macro strip_after_word(expr) -%}
{{ regexp_replace_first(expr, '(' ~ _alternation(comparator_words()['after']) ~ ')$') }}
{%- endmacro %}

{# Points stated in a heading: 产出指标(50分) → 50; NULL when the heading states none. #}
{% macro heading_points(expr) -%}
try_cast(nullif({{ regexp_extract(normalize_text(expr), '([0-9]+(?:\\.[0-9]+)?)\\s*分', 1) }}, '') as decimal(12,4))
{%- endmacro %}

{# A heading without its points: 产出指标(50分) → 产出指标. #}
{% macro heading_name(expr) -%}
nullif(trim({{ regexp_replace_first(normalize_text(expr), '\\s*\\(?\\s*[0-9]+(?:\\.[0-9]+)?\\s*分\\s*\\)?') }}), '')
{%- endmacro %}

{# direction of a comparator: higher / lower / equal / range. #}
{% macro direction_of(comparator) -%}
case {{ comparator }}
    when '≥' then 'higher' when '>' then 'higher' when '≤' then 'lower' when '<' then 'lower'
    when '=' then 'equal' when 'range' then 'range'
end
{%- endmacro %}

{# An actual as written: [word] number [unit ...] (98%, 达到98%, 不低于95%, 20.28亿元（50.7%）): groups 1 number,
   2 unit (up to the first delimiter; a trailing comparator word is removed by strip_after_word). #}
{% macro leading_actual_pattern() -%}
^\s*(?:{{ _alternation(comparator_words()['before']) }})?\s*{{ number_pattern() }}\s*([^\s0-9(),;:/.，。；、]*)
{%- endmacro %}
