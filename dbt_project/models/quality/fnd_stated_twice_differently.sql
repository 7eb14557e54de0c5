-- The same quantity stated in two places: the department totals of the report's text against the
-- project table's 合计 row; the number of projects against the table's lines; and a "三公" category
-- against the budget line that carries the same money (same budget, by the words of its name in
-- seeds/three_public_line_keywords.csv).
with totals as (
    select department_code, fiscal_year, source_file, source_row, 'final_budget' as source_column,
        '最终预算' as subject, final_budget as first_value, table_total_final_budget as second_value,
        '正文' as first_place_zh, '项目支出表合计' as second_place_zh, 'the text' as first_place_en,
        'the project table''s 合计 row' as second_place_en
    from {{ ref('int_department_totals') }}
    where totals_source = 'stated'
    union all
    select department_code, fiscal_year, source_file, source_row, 'actual_spend', '实际支出', actual_spend,
        table_total_actual_spend, '正文', '项目支出表合计', 'the text', 'the project table''s 合计 row'
    from {{ ref('int_department_totals') }}
    where totals_source = 'stated'
    union all
    select department_code, fiscal_year, source_file, source_row, 'project_count_final', '项目数',
        stated_project_count_final, project_count, '正文', '项目支出表行数', 'the text', 'the project table''s lines'
    from {{ ref('int_department_totals') }}
),

keyword_lines as (
    select distinct p.*, k.category
    from {{ ref('int_budget_lines__execution') }} as p
    join {{ ref('three_public_line_keywords') }} as k on contains(p.project_name, k.keyword)
),

same_money as (
    select t.department_code, t.fiscal_year, l._source_file, l._source_row, 'actual_spend' as source_column,
        l.project_name || ' / ' || t.category_name as subject, l.actual_spend as first_value,
        t.actual as second_value, '项目支出表' as first_place_zh, '“三公”经费表' as second_place_zh,
        'the project table' as first_place_en, 'the "三公" table' as second_place_en
    from {{ ref('int_three_public__with_prior') }} as t
    join keyword_lines as l
        on l.department_code = t.department_code and l.fiscal_year = t.fiscal_year and l.category = t.category
        and l.final_budget = t.budget
    where t.line_type = 'item'
),

candidates as (
    select * from totals
    union all
    select * from same_money
)

select
    'stated_twice_differently' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    source_column,
    subject,
    {{ show('first_value') }} as stated_value,
    {{ show('second_value') }} as computed_value,
    subject || '：' || first_place_zh || '为' || {{ show('first_value') }} || '，' || second_place_zh || '为'
        || {{ show('second_value') }} as message_zh,
    subject || ': ' || {{ show('first_value') }} || ' in ' || first_place_en || ', ' || {{ show('second_value') }}
        || ' in ' || second_place_en as message_en
from candidates
where first_value is not null and second_value is not null and first_value <> second_value
