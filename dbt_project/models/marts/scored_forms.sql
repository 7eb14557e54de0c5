-- Every form that scores itself item by item (each project form; a department form with an
-- execution item or weighted indicators): the execution item, the points and the scores beside
-- their sums and the stated total, and whether the source is complete.
select
    s.department_code,
    s.fiscal_year,
    s.entity_type,
    s.project_code,
    f.execution_rate,
    f.execution_basis,
    f.stated_execution_rate,
    f.stated_execution_rate_text,
    s.execution_weight,
    s.stated_execution_score,
    f.stated_execution_score_text,
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
    f.source_file as execution_source_file,
    f.total_source_row as execution_source_row,
    s.source_file,
    s.source_row
from {{ ref('int_scored_forms') }} as s
left join {{ ref('int_funding__execution') }} as f
    on f.department_code = s.department_code and f.fiscal_year = s.fiscal_year and f.entity_type = s.entity_type
    and coalesce(f.project_code, '') = coalesce(s.project_code, '')
left join {{ ref('int_department_years') }} as d
    on d.department_code = s.department_code and d.fiscal_year = s.fiscal_year and s.entity_type = 'department'
left join {{ ref('stg_reports__project_forms') }} as p
    on p.department_code = s.department_code and p.fiscal_year = s.fiscal_year and p.project_code = s.project_code
