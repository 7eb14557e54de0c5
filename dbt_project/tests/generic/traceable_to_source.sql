{# Every row names its department-year and the raw file and row it comes from: the marts' lineage
   guarantee, as one test rather than a not_null test per column (each test node costs a refresh
   about 30 ms whatever the data). The failing rows are returned whole. #}
{% test traceable_to_source(model, columns=['department_code', 'fiscal_year', 'source_file', 'source_row']) %}
select *
from {{ model }}
where {% for column in columns %}{{ column }} is null{% if not loop.last %} or {% endif %}{% endfor %}
{% endtest %}
