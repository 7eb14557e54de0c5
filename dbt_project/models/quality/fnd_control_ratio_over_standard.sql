-- Control ratios over their standard: staff in post above the authorised headcount (在职人员控制率
-- above 100%), and "三公" spending above its budget.
select
    'control_ratio_over_standard' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    headcount_source_file as source_file,
    headcount_source_row as source_row,
    'headcount' as source_column,
    '在职人员控制率' as subject,
    cast(headcount_actual as string) || ' / ' || cast(headcount_authorized as string) as stated_value,
    cast(round(headcount_control_rate * 100, 2) as string) || '%' as computed_value,
    '在职实有人数' || cast(headcount_actual as string) || '人超过编制数' || cast(headcount_authorized as string)
        || '人，在职人员控制率' || cast(round(headcount_control_rate * 100, 2) as string) || '%（标准≤100%）' as message_zh,
    'staff in post ' || cast(headcount_actual as string) || ' exceed the authorised ' || cast(headcount_authorized as string)
        || ': control rate ' || cast(round(headcount_control_rate * 100, 2) as string) || '% (standard ≤ 100%)' as message_en
from {{ ref('int_department_totals') }}
where headcount_control_rate > 1
union all
select
    'control_ratio_over_standard',
    'warning',
    department_code,
    fiscal_year,
    _source_file,
    _source_row,
    'actual',
    category_name,
    {{ show('actual') }} || ' / ' || {{ show('budget') }},
    cast(round(usage_rate * 100, 2) as string) || '%',
    category_name || '：支出' || {{ show('actual') }} || '万元超过预算' || {{ show('budget') }} || '万元',
    category_name || ': spent ' || {{ show('actual') }} || ' against a budget of ' || {{ show('budget') }}
from {{ ref('int_three_public__with_prior') }}
where usage_rate > 1
