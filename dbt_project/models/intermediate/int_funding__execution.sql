-- One row per funding table (a project form's 项目资金, or a department's funds by source): the stated
-- total row beside the sum of its sources, and the execution rate the form means: 全年执行数 / 全年预算数
-- of the total row, or of the sum of the sources when the total row states no budget. The execution
-- item's stated 分值, 执行率 and 得分 come from the total row.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with rows as (
    select *, {{ entity_type_of() }} as entity_kind
    from {{ ref('stg_reports__funding_sources') }}
),

tables as (
    select
        department_code,
        fiscal_year,
        entity_kind as entity_type,
        project_code,
        min(_source_file) as source_file,
        min(_source_row) filter (where funding_source = 'total') as total_source_row,
        min(_source_row) as first_source_row,
        count(*) filter (where funding_source = 'total') as total_rows,
        {%- for amount in ['initial_budget', 'final_budget', 'actual_spend'] %}
        max({{ amount }}) filter (where funding_source = 'total') as stated_total_{{ amount }},
        {{ decimal_sum("case when funding_source <> 'total' then " ~ amount ~ " end") }} as sources_{{ amount }},
        {%- for source in ['appropriation', 'carryover', 'other'] %}
        max({{ amount }}) filter (where funding_source = '{{ source }}') as {{ source }}_{{ amount }},
        {%- endfor %}
        {%- endfor %}
        max(stated_execution_rate) filter (where funding_source = 'total') as stated_execution_rate,
        max(stated_execution_rate_text) filter (where funding_source = 'total') as stated_execution_rate_text,
        max(weight) filter (where funding_source = 'total') as execution_weight,
        max(self_score) filter (where funding_source = 'total') as stated_execution_score,
        max(self_score_text) filter (where funding_source = 'total') as stated_execution_score_text
    from rows
    group by department_code, fiscal_year, entity_kind, project_code
),

based as (
    select
        *,
        case when coalesce(stated_total_final_budget, 0) <> 0 then 'total row'
             when coalesce(sources_final_budget, 0) <> 0 then 'sum of sources' end as execution_basis
    from tables
)

select
    *,
    case execution_basis
        when 'total row' then {{ exact_ratio('stated_total_actual_spend', 'stated_total_final_budget') }}
        when 'sum of sources' then {{ exact_ratio('sources_actual_spend', 'sources_final_budget') }}
    end as execution_rate
from based
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
