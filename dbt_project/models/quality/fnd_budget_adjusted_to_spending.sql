-- A budget adjusted during the year to exactly what was spent, so that the rate shows 100%.
select
    'budget_adjusted_to_spending' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'final_budget' as source_column,
    project_name as subject,
    {{ show('initial_budget') }} || ' → ' || {{ show('final_budget') }} as stated_value,
    {{ show('actual_spend') }} as computed_value,
    project_name || '：预算由' || {{ show('initial_budget') }} || '调整为' || {{ show('final_budget') }}
        || '万元，恰等于实际支出，执行率因此为100%' as message_zh,
    project_name || ': the budget was adjusted from ' || {{ show('initial_budget') }} || ' to '
        || {{ show('final_budget') }} || ', exactly the actual spend, so the rate shows 100%' as message_en
from {{ ref('int_budget_lines__execution') }}
where initial_budget is not null and final_budget <> initial_budget and final_budget = actual_spend
    and actual_spend > 0
