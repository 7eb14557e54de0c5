-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select
    i.department_code,
    n.department_name,
    i.fiscal_year,
    i.entity_type,
    i.project_code,
    i.indicator_no,
    i.part_no,
    i.source_table,
    i.level1,
    i.level2,
    i.level1_name,
    i.level1_points,
    i.level2_name,
    i.level2_points,
    i.indicator_name,
    i.packed_indicator_name,
    i.nature,
    i.initial_target_text,
    i.adjusted_target_text,
    i.target_text,
    i.target_kind,
    i.comparator,
    i.comparator_source,
    i.comparator_implied,
    i.direction,
    i.target_value,
    i.target_value_high,
    i.target_unit,
    i.measure_unit,
    i.actual_text,
    i.actual_value,
    i.actual_unit,
    i.actual_read_as_ratio,
    i.actual_period,
    i.completion_rate,
    i.stated_completion_rate,
    i.stated_completion_rate_text,
    i.status,
    i.status_detail,
    i.status_basis,
    i.assessment,
    i.weight,
    i.score_coefficient,
    i.self_score,
    i.is_core,
    i.deviation_reason,
    coalesce(d.is_synthetic, p.is_synthetic, false) as is_synthetic,
    i._source_file as source_file,
    i._source_row as source_row
from {{ ref('int_indicators__completion') }} as i
left join {{ ref('int_department_years') }} as d
    on d.department_code = i.department_code and d.fiscal_year = i.fiscal_year and i.entity_type = 'department'
left join {{ ref('stg_reports__project_forms') }} as p
    on p.department_code = i.department_code and p.fiscal_year = i.fiscal_year and p.project_code = i.project_code
left join {{ ref('int_department_names') }} as n
    on n.department_code = i.department_code and n.fiscal_year = i.fiscal_year
where i.entity_type = 'project' or d.department_code is not null
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
