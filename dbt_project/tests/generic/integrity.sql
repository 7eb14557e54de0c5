{# A model's integrity rules, as one test: each test node costs every refresh about 60 ms of dbt and two
   Dagster events whatever the data, and one test per rule and column came to 185 nodes
   (docs/performance.md). Each failing row names its rule and what broke it:
   - key: the columns identify one row (no two rows share them);
   - not_null: none of these columns is null;
   - accepted_values: {column: [values]}, each column holds only its values (a null passes, as in dbt's
     accepted_values);
   - references: [{to: ref(...) or source(...), columns: [...], where: optional condition on the rows}], the
     row's key exists in `to` under the same column names (rows with a null in the key are not checked);
   - lineage: true, the row names its department-year and the raw file and row it comes from
     (department_code, fiscal_year, source_file and source_row not null). #}
{% test integrity(model, key=none, not_null=[], accepted_values={}, references=[], lineage=false) %}
{#- On a build narrowed to some departments, the rows of the slices it rewrote (macros/fiscal_years.sql,
    tested_slices): a row-level rule and a reference hold of the other rows as the last build tested them,
    and two rows sharing a key that names the department and the year are in one slice. #}
{%- set slices = tested_slices(model) %}
{%- set all_rows = model %}
{%- if slices is not none %}
{%- set model = "(select * from " ~ model ~ " where " ~ slices ~ ") as tested_rows" %}
{%- endif %}
{%- set rules = [] %}
{%- if key %}
{%- do rules.append("select 'key' as rule, " ~ integrity_text(key) ~ " as failing
from " ~ (model if 'department_code' in key and 'fiscal_year' in key else all_rows) ~ "
group by " ~ key | join(', ') ~ "
having count(*) > 1") %}
{%- endif %}
{%- set required = (['department_code', 'fiscal_year', 'source_file', 'source_row'] if lineage else []) %}
{%- for column in required + not_null %}
{%- do rules.append("select '" ~ ('lineage' if loop.index <= required | length else 'not_null') ~ "' as rule, '"
    ~ column ~ "' as failing
from " ~ model ~ "
where " ~ column ~ " is null") %}
{%- endfor %}
{%- for column, values in accepted_values.items() %}
{%- set quoted = [] %}
{%- for value in values %}{% do quoted.append("'" ~ (value | string | replace("'", "''")) ~ "'") %}{% endfor %}
{%- do rules.append("select 'accepted_values' as rule, " ~ dbt.concat(["'" ~ column ~ " = '", integrity_text([column])])
    ~ " as failing
from " ~ model ~ "
where " ~ column ~ " not in (" ~ quoted | join(', ') ~ ")") %}
{%- endfor %}
{%- for relation in references %}
{%- set joined = [] %}
{%- for column in relation.columns %}{% do joined.append("parent." ~ column ~ " = child." ~ column) %}{% endfor %}
{%- set present = [] %}
{%- for column in relation.columns %}{% do present.append("child." ~ column ~ " is not null") %}{% endfor %}
{%- if relation.where %}{% do present.append("(" ~ relation.where ~ ")") %}{% endif %}
{%- do rules.append("select 'references' as rule, " ~ dbt.concat(["'" ~ relation.to ~ ": '", integrity_text(relation.columns, 'child')])
    ~ " as failing
from (select * from " ~ model ~ ") as child
where " ~ present | join(' and ') ~ "
    and not exists (select 1 from " ~ relation.to ~ " as parent where " ~ joined | join(' and ') ~ ")") %}
{%- endfor %}
{{ rules | join('\nunion all\n') }}
{% endtest %}
