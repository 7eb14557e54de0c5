-- Growth "from zero" stated as a percentage: a change rate against a prior year of zero has no
-- meaning, whatever the report writes (often +100%).
select
    'growth_from_zero' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    _source_file as source_file,
    _source_row as source_row,
    'stated_yoy_change_rate' as source_column,
    category_name as subject,
    stated_yoy_change_rate_text as stated_value,
    'prior year ' || {{ show('prior_year_actual') }} as computed_value,
    category_name || '：上年支出为0，报告的增减率' || stated_yoy_change_rate_text || '无意义' as message_zh,
    category_name || ': the prior year was 0, so the stated change rate ' || stated_yoy_change_rate_text
        || ' has no meaning' as message_en
from {{ ref('int_three_public__with_prior') }}
where prior_year_actual = 0 and stated_yoy_change_rate is not null
