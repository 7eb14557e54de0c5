-- An amount written in another currency (美元, 万美元, 亿美元) in a table of yuan: it is never converted
-- or added to yuan without an exchange rate, so it is left out of every total and rate.
with amounts as (
    select department_code, fiscal_year, _source_file as source_file, _source_row as source_row,
        project_name as subject, source_unit
    from {{ ref('int_budget_lines__execution') }}
    union all
    select department_code, fiscal_year, _source_file, _source_row, category_name, source_unit
    from {{ ref('int_three_public__with_prior') }}
    union all
    select department_code, fiscal_year, source_file, source_row, '部门预算总额', source_unit
    from {{ ref('int_department_totals') }}
)

select
    'foreign_currency_amount' as check_name,
    'warning' as severity,
    a.department_code,
    a.fiscal_year,
    a.source_file,
    a.source_row,
    'unit' as source_column,
    a.subject,
    a.source_unit as stated_value,
    null::string as computed_value,
    a.subject || '：金额以' || a.source_unit || '计，未经汇率不与人民币金额相加或比较，已从合计和比率中剔除' as message_zh,
    a.subject || ': amounts in ' || a.source_unit || ' are never added to or compared with yuan without an '
        || 'exchange rate; left out of the totals and rates' as message_en
from amounts as a
join {{ ref('units') }} as u on u.unit = a.source_unit
where u.dimension <> 'CNY'
