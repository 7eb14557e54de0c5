{# Every row's (columns) exists in `to` (columns): a relationship over a composite key, such as
   (department_code, fiscal_year). Rows with a null in the key are not checked. #}
{% test relationships_composite(model, columns, to) %}
select {% for c in columns %}child.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from (select * from {{ model }}) as child
where {% for c in columns %}child.{{ c }} is not null{% if not loop.last %} and {% endif %}{% endfor %}
    and not exists (
        select 1 from {{ to }} as parent
        where {% for c in columns %}parent.{{ c }} = child.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
    )
{% endtest %}
