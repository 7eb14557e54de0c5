-- Every stated rate against the one computed from its parts, compared at the precision it was stated
-- with: budget lines, department totals, the project table's total row, "三公" usage and change
-- rates, indicator completion percentages, and each row of a funding table (执行率; a total row that
-- states no budget against the execution of its sources).
with base_candidates as (
    select department_code, fiscal_year, _source_file as source_file, _source_row as source_row,
        'stated_execution_rate' as source_column,
        project_name as subject, execution_rate as computed, stated_execution_rate as stated,
        stated_execution_rate_text as stated_text, '执行率' as what_zh, 'execution rate' as what_en
    from {{ ref('int_budget_lines__execution') }}
    union all
    select department_code, fiscal_year, source_file, source_row, 'stated_execution_rate',
        '部门预算执行率', execution_rate, stated_execution_rate, stated_execution_rate_text, '部门预算执行率',
        'department execution rate'
    from {{ ref('int_department_totals') }}
    union all
    select department_code, fiscal_year, table_total_source_file, table_total_source_row, 'stated_execution_rate',
        '项目表合计', {{ exact_ratio('lines_actual_spend', 'lines_final_budget') }}, table_total_stated_execution_rate,
        table_total_stated_execution_rate_text, '项目表合计完成率', 'project table total rate'
    from {{ ref('int_department_totals') }}
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'stated_usage_rate', category_name, usage_rate,
        stated_usage_rate, stated_usage_rate_text, '“三公”经费使用率', '"三公" usage rate'
    from {{ ref('int_three_public__with_prior') }}
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'stated_yoy_change_rate', category_name,
        yoy_change_rate, stated_yoy_change_rate, stated_yoy_change_rate_text, '“三公”经费比上年增减率',
        '"三公" change on the prior year'
    from {{ ref('int_three_public__with_prior') }}
    where prior_year_actual <> 0
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'actual_text', indicator_name, completion_rate,
        stated_completion_rate, stated_completion_rate_text, '指标完成率', 'indicator completion'
    from {{ ref('int_indicators__completion') }}
),

candidates as (
    select *, null::string as project_code from base_candidates
    union all
    select department_code, fiscal_year, _source_file, _source_row, 'stated_execution_rate',
        coalesce(project_code, '部门') || case funding_source when 'total' then '资金总额' when 'appropriation'
            then '本年财政拨款' when 'carryover' then '上年结转' when 'other' then '其他资金' end, execution_rate,
        stated_execution_rate, stated_execution_rate_text, '资金执行率', 'funding execution rate', project_code
    from {{ ref('int_funding_lines__execution') }}
    union all
    -- a total row that states no budget: its 执行率 against the execution of the sum of its sources
    select department_code, fiscal_year, funding_source_file, funding_total_source_row, 'stated_execution_rate',
        coalesce(project_code, '部门') || '资金总额（按各来源计算）', execution_rate, stated_execution_rate,
        stated_execution_rate_text, '预算执行率', 'execution rate', project_code
    from {{ ref('int_scored_forms') }}
    where execution_basis = 'sum of sources'
)

select
    'stated_rate_mismatch' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    source_column,
    subject,
    project_code,
    stated_text as stated_value,
    {{ as_stated('computed', 'stated_text') }} as computed_value,
    subject || '：报告' || what_zh || '为' || stated_text || '，按其组成数计算为' || {{ as_stated('computed', 'stated_text') }}
        || '（按报告精度比较）' as message_zh,
    subject || ': the stated ' || what_en || ' ' || stated_text || ' does not match ' || {{ as_stated('computed', 'stated_text') }}
        || ' computed from its parts, at the precision it was stated with' as message_en
from candidates
where {{ differs_at_stated_precision('computed', 'stated', 'stated_text') }}
