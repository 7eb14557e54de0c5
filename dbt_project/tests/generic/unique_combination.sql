{# The columns together identify one row (dbt_utils.unique_combination_of_columns, written here
   because hub packages cannot be installed). #}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
