{# The entity a row of a kind that serves departments and projects belongs to: its entity_type, else
   project when it names a project, else department. #}
{% macro entity_type_of(alias='') -%}
{%- set p = alias ~ '.' if alias else '' -%}
coalesce({{ p }}entity_type, case when {{ p }}project_code is not null then 'project' else 'department' end)
{%- endmacro %}
