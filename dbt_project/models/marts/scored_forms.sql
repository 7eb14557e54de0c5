-- Every form with a funding table or that scores itself item by item (each project form; a
-- department with a funding table by source or weighted indicators): the funding table's stated total
-- row beside the sums of its sources, the execution item, the points and scores beside their sums and
-- the stated total, and whether the source is complete. The form-arithmetic checks read the same rows
-- from int_scored_forms.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    s.department_code,
    n.department_name,
    s.fiscal_year,
    s.entity_type,
    s.project_code,
    s.funding_total_rows,
    {%- for amount in ['initial_budget', 'final_budget', 'actual_spend'] %}
    s.stated_total_{{ amount }},
    s.sources_{{ amount }},
    {%- endfor %}
    s.execution_rate,
    s.execution_basis,
    s.stated_execution_rate,
    s.stated_execution_rate_text,
    s.execution_weight,
    s.stated_execution_score,
    s.stated_execution_score_text,
    s.indicator_count,
    s.weighted_indicator_count,
    s.stated_score_count,
    s.recomputed_count,
    s.indicator_weight_sum,
    s.stated_indicator_score_sum,
    s.recomputed_indicator_score_sum,
    s.stated_total_score,
    s.source_complete,
    s.source_missing_parts,
    coalesce(d.is_synthetic, p.is_synthetic, false) as is_synthetic,
    s.funding_source_file,
    s.funding_total_source_row,
    s.source_file,
    s.source_row
from {{ ref('int_scored_forms') }} as s
left join {{ ref('int_department_years') }} as d
    on d.department_code = s.department_code and d.fiscal_year = s.fiscal_year and s.entity_type = 'department'
left join {{ ref('stg_reports__project_forms') }} as p
    on p.department_code = s.department_code and p.fiscal_year = s.fiscal_year and p.project_code = s.project_code
left join {{ ref('int_department_names') }} as n
    on n.department_code = s.department_code and n.fiscal_year = s.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
