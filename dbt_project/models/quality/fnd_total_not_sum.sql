-- Every stated total against the sum of its parts: the project table's 合计 row against its lines,
-- the "三公" 合计 row against its categories, the staff total against its categories, the initial
-- budget plus the adjustment against the final budget, and a stated difference (差异数, 节约) against
-- the figures it is the difference of; a funding table's total row (年度资金总额) against its sources.
with base_candidates as (
    select department_code, fiscal_year, table_total_source_file as source_file,
        table_total_source_row as source_row, 'final_budget' as source_column, '项目表合计最终预算' as subject,
        table_total_final_budget as stated, lines_final_budget as computed, '各项目最终预算之和' as parts_zh,
        'the sum of the lines'' final budgets' as parts_en
    from {{ ref('int_department_totals') }}
    union all
    select department_code, fiscal_year, table_total_source_file, table_total_source_row, 'actual_spend',
        '项目表合计决算金额', table_total_actual_spend, lines_actual_spend, '各项目决算金额之和',
        'the sum of the lines'' actual spend'
    from {{ ref('int_department_totals') }}
    union all
    select department_code, fiscal_year, table_total_source_file, table_total_source_row, 'stated_variance',
        '项目表合计差异数', table_total_stated_variance, table_total_actual_spend - table_total_final_budget,
        '合计决算金额减合计最终预算', 'the total actual minus the total final budget'
    from {{ ref('int_department_totals') }}
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'budget', '“三公”经费合计预算', budget,
        components_budget, '三项经费预算之和', 'the sum of the three categories'' budgets'
    from {{ ref('int_three_public__with_prior') }}
    where line_type = 'total'
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'actual', '“三公”经费合计支出', actual,
        components_actual, '三项经费支出之和', 'the sum of the three categories'' actuals'
    from {{ ref('int_three_public__with_prior') }}
    where line_type = 'total'
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'stated_saving', category_name || '节约金额',
        stated_saving, saving, '预算减支出', 'budget minus actual'
    from {{ ref('int_three_public__with_prior') }}
    union all
    select department_code, fiscal_year, headcount_source_file, headcount_source_row, 'headcount', '在职实有人数',
        headcount_actual, items_headcount_actual, '各类人员之和', 'the sum of the staff categories'
    from {{ ref('int_department_totals') }}
    where items_headcount_actual is not null
    union all
    select department_code, fiscal_year, source_file, source_row, 'final_budget', '部门最终预算',
        final_budget, initial_budget + budget_adjustment, '年初预算加年中调整', 'the initial budget plus the adjustment'
    from {{ ref('int_department_totals') }}
    where totals_source = 'stated'
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'final_budget', project_name || '最终预算',
        final_budget, initial_budget + budget_adjustment, '年初预算加调整数', 'the initial budget plus the adjustment'
    from {{ ref('int_budget_lines__execution') }}
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'stated_variance', project_name || '差异数',
        stated_variance, variance, '决算金额减最终预算', 'actual minus final budget'
    from {{ ref('int_budget_lines__execution') }}
),

candidates as (
    select *, null::string as project_code from base_candidates
    {%- for amount, zh, en in [('initial_budget', '年初预算数', 'initial budget'),
                               ('final_budget', '全年预算数', 'budget for the year'),
                               ('actual_spend', '全年执行数', 'spending')] %}
    union all
    select department_code, fiscal_year, funding_source_file, funding_total_source_row, '{{ amount }}',
        coalesce(project_code, '部门') || '资金总额{{ zh }}', stated_total_{{ amount }}, sources_{{ amount }},
        '各资金来源{{ zh }}之和', 'the sum of the sources'' {{ en }}', project_code
    from {{ ref('int_scored_forms') }}
    where funding_total_rows = 1
    {%- endfor %}
)

select
    'total_not_sum' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    source_column,
    subject,
    project_code,
    {{ show('stated') }} as stated_value,
    {{ show('computed') }} as computed_value,
    subject || '：报告数为' || {{ show('stated') }} || '，' || parts_zh || '为' || {{ show('computed') }} as message_zh,
    subject || ': stated ' || {{ show('stated') }} || ', but ' || parts_en || ' is ' || {{ show('computed') }}
        as message_en
from candidates
where stated is not null and computed is not null and stated <> computed
