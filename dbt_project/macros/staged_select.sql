{#
  The typed SELECT of a staging model, driven by the raw data contract: each source column's
  `contract_type` (written into the generated sources file from contract/raw_contract.yaml) picks
  its parser. Amounts are converted to 万元 through the units seed; rates and numbers keep their text
  beside the value (`<col>_text`) so that the precision they were stated with is known.
#}
{% macro staged_select(table_name) -%}
{%- set ns = namespace(node=none, has_amount=false) -%}
{%- if not execute -%}
{#- At parse time the graph is not built yet: declare the dependencies only. -#}
select * from {{ source('reports', table_name) }} -- {{ ref('units') }}
{%- else -%}
{%- for node in graph.sources.values() -%}
    {%- if node.source_name == 'reports' and node.name == table_name -%}{%- set ns.node = node -%}{%- endif -%}
{%- endfor -%}
{%- if ns.node is none -%}{{ exceptions.raise_compiler_error("no source reports." ~ table_name) }}{%- endif -%}
select
{%- for col in ns.node.columns.values() %}
    {%- set meta = col.meta or (col.config.meta if col.config is defined else {}) or {} -%}
    {%- set t = meta.get('contract_type') -%}
    {%- set c = 'src.' ~ adapter.quote(col.name) -%}
    {%- if t is none -%}{%- continue -%}{%- endif %}
    {%- if t == 'text' %}
    nullif(trim({{ c }}), '') as {{ col.name }},
    {%- elif t == 'integer' %}
    {{ parse_integer(c) }} as {{ col.name }},
    {%- elif t == 'amount' %}{%- set ns.has_amount = true %}
    {#- Most amounts are stated in 万元: no multiplication (a DECIMAL(38,12) product, cast back: four
        times the cost of the parse) where the factor is 1. #}
    case when units.to_wan_factor = 1 then {{ parse_amount(c) }}
         else cast({{ parse_amount(c) }} * units.to_wan_factor as decimal(24,6)) end as {{ col.name }},
    {%- elif t == 'rate' %}
    {{ parse_rate(c) }} as {{ col.name }},
    nullif(trim({{ c }}), '') as {{ col.name }}_text,
    {%- elif t == 'number' %}
    {{ parse_number(c) }} as {{ col.name }},
    nullif(trim({{ c }}), '') as {{ col.name }}_text,
    {%- elif t == 'boolean' %}
    {{ parse_boolean(c) }} as {{ col.name }},
    {%- elif t == 'date' %}
    try_cast(trim({{ c }}) as date) as {{ col.name }},
    {%- elif t == 'code' %}
    case trim({{ c }})
        {%- for label, code in (meta.get('labels') or {}).items() %}
        when '{{ label }}' then '{{ code }}'
        {%- endfor %}
        else lower(trim({{ c }}))
    end as {{ col.name }},
    {%- elif t == 'unit' %}
    nullif(trim({{ c }}), '') as {{ col.name }},
    {%- endif %}
{%- endfor %}
    src._source_file,
    src._source_row,
    src._partition_year
from {{ source('reports', table_name) }} as src
{%- if ns.has_amount %}
left join {{ ref('units') }} as units on units.unit = trim(src.unit)
{%- endif %}
where {{ raw_years_to_refresh('src') }}
{%- endif -%}
{%- endmacro %}
