{#
  Parsing of figures as departments write them. Every macro returns NULL for text it cannot read;
  nothing is guessed. Exact decimals throughout: amounts are DECIMAL(24,6), rates DECIMAL(18,10).
#}

{# Full-width digits and punctuation to ASCII; the dash '—' (no target / none) is kept. Every character
   translated is non-ASCII, so a text of ASCII only (as many bytes as characters) is left as it is:
   DuckDB's translate is slow, and most figures are written in ASCII. #}
{% macro normalize_text(expr) -%}
case when {{ byte_length(expr) }} = length({{ expr }}) then {{ expr }}
     else translate({{ expr }}, '０１２３４５６７８９．，％（）－＋　：／−［］【】＞＜＝≧≦～', '0123456789.,%()-+ :/-[][]><=≥≤~') end
{%- endmacro %}

{# A number as written, in ASCII without its separators, when it follows the contract's number grammar
   (var number_grammar: standard thousands grouping, full-width digits allowed); else NULL: 135,5 is
   no number (not 1355), nor is 1 863. #}
{% macro number_text(expr) -%}
case when {{ regexp_full_match('trim(' ~ normalize_text(expr) ~ ')', var("number_grammar")) }}
     then replace(trim({{ normalize_text(expr) }}), ',', '') end
{%- endmacro %}

{# A plain ASCII number (sign, digits, decimals), as most figures are written: one pattern decides it and
   the text casts as it is, with what the general path would give (the same text cast the same way), when
   the grammar accepts plain digits. Else (none when it does not) the general path: translation, trim,
   the grammar, the separators removed. #}
{% macro plain_number_test(expr, suffix='') -%}
{%- if '|[0-9]+)' in var("number_grammar") and var("number_grammar").startswith('[-+]?') -%}
{{ regexp_full_match(expr, '-?[0-9]+(?:[.][0-9]+)?' ~ suffix) }}
{%- endif -%}
{%- endmacro %}

{% macro general_number(expr) -%}
try_cast({{ number_text(expr) }} as decimal(24,6))
{%- endmacro %}

{% macro parse_number(expr) -%}
{%- set plain = plain_number_test(expr) -%}
{%- if plain %}case when {{ plain }} then try_cast({{ expr }} as decimal(24,6)) else {{ general_number(expr) }} end
{%- else -%}
{{ general_number(expr) }}
{%- endif -%}
{%- endmacro %}

{# An amount: like a number, but a cell holding only dashes means zero (the accountants' 0). #}
{% macro parse_amount(expr) -%}
{%- set plain = plain_number_test(expr) -%}
case
    {%- if plain %}
    when {{ plain }} then try_cast({{ expr }} as decimal(24,6))
    {%- endif %}
    when nullif(trim({{ expr }}), '') is null then null
    when {{ regexp_full_match('trim(' ~ normalize_text(expr) ~ ')', '[-—–]+') }} then cast(0 as decimal(24,6))
    else {{ general_number(expr) }}
end
{%- endmacro %}

{# A stated rate: "80.02%" is the ratio 0.8002; a bare number is already a ratio. #}
{% macro parse_rate(expr) -%}
{%- set plain = plain_number_test(expr) -%}
case
    {%- if plain %}
    when {{ plain }} then cast(try_cast({{ expr }} as decimal(24,6)) as decimal(18,10))
    when {{ plain_number_test(expr, '%') }}
        then cast(try_cast(replace({{ expr }}, '%', '') as decimal(24,6)) * 0.01 as decimal(18,10))
    {%- endif %}
    when nullif(trim({{ expr }}), '') is null then null
    when contains({{ normalize_text(expr) }}, '%')
        then cast({{ general_number("replace(" ~ normalize_text(expr) ~ ", '%', '')") }} * 0.01 as decimal(18,10))
    else cast({{ general_number(expr) }} as decimal(18,10))
end
{%- endmacro %}

{# Number of decimals written in a stated figure ("80.02%" → 2, "76.9%" → 1, "1" → 0). #}
{% macro stated_decimals(expr) -%}
case
    when {{ expr }} is null then null
    else length(coalesce(nullif({{ regexp_extract(normalize_text(expr), '\\.([0-9]+)', 1) }}, ''), ''))
end
{%- endmacro %}

{# An integer count; empty or unreadable gives NULL. #}
{% macro parse_integer(expr) -%}
{%- set plain = plain_number_test(expr) -%}
{%- if plain %}case when {{ plain }} then try_cast({{ expr }} as integer)
     else try_cast({{ number_text(expr) }} as integer) end
{%- else -%}
try_cast({{ number_text(expr) }} as integer)
{%- endif -%}
{%- endmacro %}

{% macro parse_boolean(expr) -%}
case lower(trim({{ expr }}))
    when 'true' then true when '1' then true when '是' then true when 'y' then true when 'yes' then true
    when 'false' then false when '0' then false when '否' then false when 'n' then false when 'no' then false
end
{%- endmacro %}

{#
  num / den as an exact decimal, rounded half-up at `scale` decimals. DuckDB divides decimals in
  binary floating point (36.41 / 40 = 0.91024999...), which would make a rate stated as 91.03%
  look wrong; this divides scaled integers instead.
#}
{% macro exact_ratio(num, den, scale=10) -%}
{{ return(adapter.dispatch('exact_ratio')(num, den, scale)) }}
{%- endmacro %}

{% macro duckdb__exact_ratio(num, den, scale=10) -%}
case
    when ({{ num }}) is null or ({{ den }}) is null or ({{ den }}) = 0 then null
    else cast(
        sign(({{ num }})::decimal(24,6)) * sign(({{ den }})::decimal(24,6))
        * (
            (abs(({{ num }})::decimal(24,6)) * 1000000)::hugeint * {{ 10 ** scale }}::hugeint * 2
            + (abs(({{ den }})::decimal(24,6)) * 1000000)::hugeint
          ) // (2 * (abs(({{ den }})::decimal(24,6)) * 1000000)::hugeint)
        as decimal(38,0)) * cast('1e-{{ scale }}' as decimal(38, {{ scale }}))
end::decimal(28, {{ scale }})
{%- endmacro %}

{#- Spark has no 128-bit integer type or integer division of decimals; decimal(38,0) holds the scaled
    integers, and the quotient of two of them (a decimal rounded half-up at 6 places) is floored, then
    corrected when that rounding carried it to the next integer. -#}
{% macro spark__exact_ratio(num, den, scale=10) -%}
{%- set n = "cast(abs(cast(" ~ num ~ " as decimal(24,6))) * 1000000 as decimal(38,0))" -%}
{%- set d = "cast(abs(cast(" ~ den ~ " as decimal(24,6))) * 1000000 as decimal(38,0))" -%}
{%- set x = "(" ~ n ~ " * cast(" ~ (10 ** scale) ~ " as decimal(38,0)) * 2 + " ~ d ~ ")" -%}
{%- set y = "(2 * " ~ d ~ ")" -%}
case
    when ({{ num }}) is null or ({{ den }}) is null or ({{ den }}) = 0 then null
    else cast(
        sign(cast({{ num }} as decimal(24,6))) * sign(cast({{ den }} as decimal(24,6)))
        * (floor({{ x }} / {{ y }}) - case when floor({{ x }} / {{ y }}) * {{ y }} > {{ x }} then 1 else 0 end)
        * cast('1e-{{ scale }}' as decimal(38, {{ scale }}))
    as decimal(28, {{ scale }}))
end
{%- endmacro %}

{#
  The capture groups of one regex match as a struct with the given field names (`.name` reads one):
  the pattern runs once. DuckDB takes a list of names; elsewhere (Spark) each group is extracted.
#}
{% macro regexp_groups(expr, pattern, names) -%}
{{ return(adapter.dispatch('regexp_groups')(expr, pattern, names)) }}
{%- endmacro %}

{% macro duckdb__regexp_groups(expr, pattern, names) -%}
regexp_extract({{ expr }}, {{ sql_string(pattern) }}, [{% for n in names %}'{{ n }}'{% if not loop.last %}, {% endif %}{% endfor %}])
{%- endmacro %}

{% macro default__regexp_groups(expr, pattern, names) -%}
named_struct({% for n in names %}'{{ n }}', {{ regexp_extract(expr, pattern, loop.index) }}{% if not loop.last %}, {% endif %}{% endfor %})
{%- endmacro %}

{# A cell that says "nothing" (—, -, /, 无, 暂无) as NULL: an adjusted target or a reason written so
   states none. #}
{% macro unless_placeholder(expr) -%}
case when {{ regexp_full_match("trim(coalesce(" ~ expr ~ ", ''))", '[-—–/无暂\\s]*') }} then null else {{ expr }} end
{%- endmacro %}
