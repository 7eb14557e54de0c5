-- Department-year budget totals: the figures the report states (first statement of the whole
-- department, else of project expenditure), the project table's stated total row, and the
-- warehouse's sums of the project lines, kept side by side, and the rates computed from them.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with statements as (
    select
        *,
        row_number() over (
            partition by department_code, fiscal_year
            order by case scope when 'all' then 0 when 'project' then 1 else 2 end nulls last, statement_no nulls last
        ) as preference
    from {{ ref('stg_reports__budget_summary') }}
    where scope in ('all', 'project')
),

stated as (
    select * from statements where preference = 1
),

line_sums as (
    select
        department_code,
        fiscal_year,
        count(*) filter (where expenditure_type = 'project') as project_count,
        {{ decimal_sum('initial_budget') }} as lines_initial_budget,
        {{ decimal_sum('final_budget') }} as lines_final_budget,
        {{ decimal_sum('actual_spend') }} as lines_actual_spend,
        min(_source_file) as lines_source_file,
        min(_source_row) as lines_source_row
    from {{ ref('int_budget_lines__execution') }}
    group by 1, 2
),

table_total as (
    select
        department_code,
        fiscal_year,
        final_budget as table_total_final_budget,
        actual_spend as table_total_actual_spend,
        stated_variance as table_total_stated_variance,
        stated_execution_rate as table_total_stated_execution_rate,
        stated_execution_rate_text as table_total_stated_execution_rate_text,
        _source_file as table_total_source_file,
        _source_row as table_total_source_row,
        row_number() over (partition by department_code, fiscal_year order by line_no nulls last) as nth
    from {{ ref('stg_reports__budget_lines') }}
    where line_type = 'total'
),

staffing as (
    select
        department_code,
        fiscal_year,
        max(case when headcount_kind = 'authorized' and line_type = 'total' then headcount end)
            as stated_headcount_authorized,
        -- A sum of integers is a HUGEINT in DuckDB, which Parquet can only hold as a DOUBLE.
        cast(sum(case when headcount_kind = 'authorized' and line_type = 'item' then headcount end) as bigint)
            as items_headcount_authorized,
        max(case when headcount_kind = 'actual' and line_type = 'total' then headcount end)
            as stated_headcount_actual,
        cast(sum(case when headcount_kind = 'actual' and line_type = 'item' then headcount end) as bigint)
            as items_headcount_actual,
        min(_source_file) as headcount_source_file,
        coalesce(max(case when headcount_kind = 'actual' and line_type = 'total' then _source_row end),
                 min(case when headcount_kind = 'actual' then _source_row end)) as headcount_source_row
    from {{ ref('stg_reports__staffing') }}
    group by 1, 2
)
,

totals as (
    select
        d.department_code,
        d.fiscal_year,
        d.department_name,
        d.is_synthetic,
        d.submitted_kinds,
        coalesce(s.initial_budget, l.lines_initial_budget) as initial_budget,
        coalesce(s.budget_adjustment, s.final_budget - s.initial_budget) as budget_adjustment,
        coalesce(s.final_budget, l.lines_final_budget) as final_budget,
        coalesce(s.actual_spend, l.lines_actual_spend) as actual_spend,
        case when s.final_budget is not null then 'stated' when l.project_count is not null then 'lines' end
            as totals_source,
        s.stated_execution_rate,
        s.stated_execution_rate_text,
        s.project_count_initial as stated_project_count_initial,
        s.project_count_final as stated_project_count_final,
        coalesce(l.project_count, 0) as project_count,
        l.lines_final_budget,
        l.lines_actual_spend,
        t.table_total_final_budget,
        t.table_total_actual_spend,
        t.table_total_stated_variance,
        t.table_total_stated_execution_rate,
        t.table_total_stated_execution_rate_text,
        t.table_total_source_file,
        t.table_total_source_row,
        coalesce(st.stated_headcount_authorized, st.items_headcount_authorized) as headcount_authorized,
        coalesce(st.stated_headcount_actual, st.items_headcount_actual) as headcount_actual,
        st.stated_headcount_actual,
        st.items_headcount_actual,
        st.headcount_source_file,
        st.headcount_source_row,
        s.unit as source_unit,
        coalesce(s._source_file, l.lines_source_file, d.first_source_file) as source_file,
        coalesce(s._source_row, l.lines_source_row, d.first_source_row) as source_row
    from {{ ref('int_department_years') }} as d
    left join stated as s on s.department_code = d.department_code and s.fiscal_year = d.fiscal_year
    left join line_sums as l on l.department_code = d.department_code and l.fiscal_year = d.fiscal_year
    left join table_total as t
        on t.department_code = d.department_code and t.fiscal_year = d.fiscal_year and t.nth = 1
    left join staffing as st on st.department_code = d.department_code and st.fiscal_year = d.fiscal_year
)

-- the rates of the totals: execution (actual / final budget), adjustment (adjustment / initial budget)
-- and headcount control (staff in post / authorised headcount, 在职人员控制率)
select
    *,
    {{ exact_ratio('actual_spend', 'final_budget') }} as execution_rate,
    {{ exact_ratio('budget_adjustment', 'initial_budget') }} as adjustment_rate,
    {{ exact_ratio('headcount_actual', 'headcount_authorized') }} as headcount_control_rate
from totals
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
