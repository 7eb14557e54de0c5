{# Helpers of the figure-reconciliation checks (models/quality/). #}

{#
  x rounded half away from zero at d decimals (0-8), d being a column: exact on decimals. The cast
  keeps the branches' types narrow enough for DuckDB to unify them without losing the scale.
#}
{% macro round_to(x, d) -%}
case {{ d }}
    {%- for n in range(0, 9) %}
    when {{ n }} then round(cast({{ x }} as decimal(26,10)), {{ n }})
    {%- endfor %}
end
{%- endmacro %}

{# x printed with exactly d decimals (0-8), rounded half away from zero. #}
{% macro fixed(x, d) -%}
case {{ d }}
    {%- for n in range(0, 9) %}
    when {{ n }} then {{ decimal_text('cast(round(cast(' ~ x ~ ' as decimal(26,10)), ' ~ n ~ ') as decimal(26, ' ~ n ~ '))') }}
    {%- endfor %}
end
{%- endmacro %}

{# A decimal without its trailing zeros. #}
{% macro trimmed(x) -%}
case when contains({{ decimal_text(x) }}, '.') then {{ trim_trailing(trim_trailing(decimal_text(x), '0'), '.') }}
     else {{ decimal_text(x) }} end
{%- endmacro %}

{# The computed ratio as the stated text would print it: a percentage if the text has %, else a ratio. #}
{% macro as_stated(computed, text) -%}
case
    when contains({{ normalize_text(text) }}, '%') then {{ fixed(computed ~ ' * 100', stated_decimals(text)) }} || '%'
    else {{ fixed(computed, stated_decimals(text)) }}
end
{%- endmacro %}

{#
  True when a stated rate and the computed one disagree at the precision the rate was stated with:
  81.4% agrees with 0.81375, 75.91% does not agree with 0.7552.
#}
{% macro differs_at_stated_precision(computed, stated, text) -%}
(
    {{ computed }} is not null and {{ stated }} is not null and {{ text }} is not null
    and case
        when contains({{ normalize_text(text) }}, '%')
            then {{ round_to(computed ~ ' * 100', stated_decimals(text)) }} <> {{ round_to(stated ~ ' * 100', stated_decimals(text)) }}
        else {{ round_to(computed, stated_decimals(text)) }} <> {{ stated }}
    end
)
{%- endmacro %}

{# An amount for a message. #}
{% macro show(x) -%}
coalesce({{ decimal_text('cast(' ~ x ~ ' as decimal(24,2))') }}, '—')
{%- endmacro %}

{# The decimals a stated score is compared at: as many as it is written with, one at least (a score
   written 8 is compared with 7.6 as 8.0). #}
{% macro score_decimals(text) -%}
greatest(coalesce({{ stated_decimals(text) }}, 0), 1)
{%- endmacro %}
