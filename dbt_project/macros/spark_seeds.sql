{#
  Seeds on Spark: dbt-spark's session method fills its placeholders by plain text substitution, which
  turns an empty field into the text 'None' and leaves a quote inside a value unescaped ("the
  department's"). The rows are written here as literals instead: NULL for an empty field, text with its
  backslashes and quotes escaped, each cast to the seed's column type.
#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for value in row -%}
          {%- set col_name = agate_table.column_names[loop.index0] -%}
          {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
          {%- if value is none -%}cast(null as {{ type }})
          {%- else -%}cast('{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}' as {{ type }})
          {%- endif -%}
          {%- if not loop.last %},{% endif -%}
        {%- endfor -%}){%- if not loop.last %},{% endif %}
      {% endfor %}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
  {%- endfor -%}
  {{ return(statements[0] if statements else '') }}
{% endmacro %}
