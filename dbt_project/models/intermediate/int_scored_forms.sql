-- One row per form that has a funding table or scores itself item by item: every project form, and
-- every department-year with a funding table by source or indicators that carry 分值. Beside each other:
-- the funding table's stated total row and the sums of its sources,
-- the points (execution item + indicators) and the stated scores, their sums, the stated total
-- (总分 of a project form, the self-evaluation's total row of a department), the recomputed
-- indicator scores, and whether the source is complete.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with cut_off as (
    -- department-years and projects whose transcription says the source is cut off
    select
        department_code,
        fiscal_year,
        project_code,
        {{ text_agg('file_kind', ',') }} as cut_off_kinds,
        {{ text_agg('coalesce(missing_parts, file_kind)', '；', order_by='file_kind') }} as missing_parts
    from {{ ref('stg_reports__source_completeness') }}
    where completeness = 'cut_off'
    group by department_code, fiscal_year, project_code
),

indicators as (
    select
        i.department_code, i.fiscal_year, i.entity_type, i.project_code, i.weight, i.self_score,
        s.recomputed_score, i._source_file, i._source_row
    from {{ ref('int_indicators__completion') }} as i
    left join {{ ref('int_indicators__form_scores') }} as s
        on s.department_code = i.department_code and s.fiscal_year = i.fiscal_year
        and s.entity_type = i.entity_type and coalesce(s.project_code, '') = coalesce(i.project_code, '')
        and s.source_table = i.source_table and s.indicator_no = i.indicator_no and s.part_no = i.part_no
    where (i.entity_type = 'project' or i.weight is not null) and i.part_no = 1  -- a packed row's 分值 once
),

indicator_sums as (
    select
        department_code, fiscal_year, entity_type, project_code,
        count(*) as indicator_count,
        count(weight) as weighted_indicator_count,
        count(self_score) as stated_score_count,
        count(recomputed_score) as recomputed_count,
        {{ decimal_sum('weight') }} as indicator_weight_sum,
        {{ decimal_sum('self_score') }} as stated_indicator_score_sum,
        {{ decimal_sum('recomputed_score') }} as recomputed_indicator_score_sum,
        min(_source_file) as indicator_source_file,
        min(_source_row) as indicator_source_row
    from indicators
    group by department_code, fiscal_year, entity_type, project_code
),

department_totals as (
    select department_code, fiscal_year, max(stated_total_score) as stated_total_score
    from {{ ref('int_self_evaluation__graded') }}
    group by department_code, fiscal_year
),

entities as (
    select department_code, fiscal_year, entity_type, project_code from indicator_sums
    union
    select department_code, fiscal_year, entity_type, project_code from {{ ref('int_funding__execution') }}
    union
    select department_code, fiscal_year, 'project', project_code from {{ ref('stg_reports__project_forms') }}
)

select
    e.department_code,
    e.fiscal_year,
    e.entity_type,
    e.project_code,
    f.total_rows as funding_total_rows,
    {%- for amount in ['initial_budget', 'final_budget', 'actual_spend'] %}
    f.stated_total_{{ amount }},
    f.sources_{{ amount }},
    {%- endfor %}
    f.total_source_row as funding_total_source_row,
    f.source_file as funding_source_file,
    f.execution_rate,
    f.execution_basis,
    f.stated_execution_rate,
    f.stated_execution_rate_text,
    f.execution_weight,
    f.stated_execution_score,
    f.stated_execution_score_text,
    coalesce(i.indicator_count, 0) as indicator_count,
    coalesce(i.weighted_indicator_count, 0) as weighted_indicator_count,
    coalesce(i.stated_score_count, 0) as stated_score_count,
    coalesce(i.recomputed_count, 0) as recomputed_count,
    i.indicator_weight_sum,
    i.stated_indicator_score_sum,
    i.recomputed_indicator_score_sum,
    case e.entity_type when 'project' then p.stated_total_score else d.stated_total_score end as stated_total_score,
    c.cut_off_kinds is null as source_complete,
    c.missing_parts as source_missing_parts,
    coalesce(p._source_file, f.source_file, i.indicator_source_file) as source_file,
    coalesce(p._source_row, f.total_source_row, i.indicator_source_row) as source_row
from entities as e
left join indicator_sums as i
    on i.department_code = e.department_code and i.fiscal_year = e.fiscal_year and i.entity_type = e.entity_type
    and coalesce(i.project_code, '') = coalesce(e.project_code, '')
left join {{ ref('int_funding__execution') }} as f
    on f.department_code = e.department_code and f.fiscal_year = e.fiscal_year and f.entity_type = e.entity_type
    and coalesce(f.project_code, '') = coalesce(e.project_code, '')
left join {{ ref('stg_reports__project_forms') }} as p
    on e.entity_type = 'project' and p.department_code = e.department_code and p.fiscal_year = e.fiscal_year
    and p.project_code = e.project_code
left join department_totals as d
    on e.entity_type = 'department' and d.department_code = e.department_code and d.fiscal_year = e.fiscal_year
left join cut_off as c
    on c.department_code = e.department_code and c.fiscal_year = e.fiscal_year
    and coalesce(c.project_code, '') = coalesce(e.project_code, '')
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
