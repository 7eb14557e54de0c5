-- One row per scored indicator (with a 分值) of any form, department or project: the stated 分值, 得分 and
-- 得分系数 beside the 得分 the form's own rule gives (int_indicators__form_scores) and the difference.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    s.department_code,
    n.department_name,
    s.fiscal_year,
    s.entity_type,
    s.project_code,
    s.indicator_no,
    s.part_no,
    s.level1,
    s.level2,
    s.indicator_name,
    s.is_core,
    s.target_text,
    s.actual_text,
    s.target_kind,
    s.comparator,
    s.direction,
    s.completion_rate,
    s.effective_completion,
    s.status,
    s.status_detail,
    s.assessment,
    s.scoring_basis,
    s.weight,
    s.score_coefficient,
    s.self_score as stated_score,
    s.self_score_text as stated_score_text,
    s.score_coefficient_text,
    s.recomputed_score,
    s.recomputed_min_score,
    s.self_score - s.recomputed_score as score_difference,
    s.fully_met,
    s.deviation_reason,
    s.actual_period,
    coalesce(d.is_synthetic, p.is_synthetic, false) as is_synthetic,
    s._source_file as source_file,
    s._source_row as source_row
from {{ ref('int_indicators__form_scores') }} as s
left join {{ ref('int_department_years') }} as d
    on d.department_code = s.department_code and d.fiscal_year = s.fiscal_year and s.entity_type = 'department'
left join {{ ref('stg_reports__project_forms') }} as p
    on p.department_code = s.department_code and p.fiscal_year = s.fiscal_year and p.project_code = s.project_code
left join {{ ref('int_department_names') }} as n
    on n.department_code = s.department_code and n.fiscal_year = s.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
