-- One row per project self-evaluation form (项目支出绩效自评表) and year: its head, funding by source
-- (execution rate and the execution item's stated and computed scores), the indicators' stated and
-- recomputed score sums, the stated total beside the recomputed one with its grade
-- (seeds/project_grade_bands.csv), whether the source is complete, and the findings the form received.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with combined as (
    -- the form's head as stated; totals, execution and indicator sums from int_scored_forms; the funds
    -- of each source from the funding table
    select
        p.*,
        i.stated_total_initial_budget as initial_budget,
        i.stated_total_final_budget as final_budget,
        i.stated_total_actual_spend as actual_spend,
        i.sources_initial_budget,
        i.sources_final_budget,
        i.sources_actual_spend,
        {%- for source in ['appropriation', 'carryover', 'other'] %}
        {%- for amount in ['initial_budget', 'final_budget', 'actual_spend'] %}
        f.{{ source }}_{{ amount }},
        {%- endfor %}
        {%- endfor %}
        i.execution_rate,
        i.execution_basis,
        i.stated_execution_rate,
        i.stated_execution_rate_text,
        i.execution_weight,
        i.stated_execution_score,
        cast(least(i.execution_weight, greatest(0, i.execution_weight * i.execution_rate)) as decimal(18,6))
            as computed_execution_score,
        i.indicator_count,
        i.indicator_weight_sum,
        i.stated_indicator_score_sum,
        i.recomputed_indicator_score_sum,
        i.indicator_count > 0 and i.recomputed_count = i.indicator_count as all_indicators_recomputed,
        i.source_complete,
        i.source_missing_parts
    from {{ ref('stg_reports__project_forms') }} as p
    join {{ ref('int_scored_forms') }} as i
        on i.department_code = p.department_code and i.fiscal_year = p.fiscal_year and i.entity_type = 'project'
        and i.project_code = p.project_code
    left join {{ ref('int_funding__execution') }} as f
        on f.department_code = p.department_code and f.fiscal_year = p.fiscal_year
        and f.entity_type = 'project' and f.project_code = p.project_code
),

totalled as (
    select
        *,
        case when all_indicators_recomputed and computed_execution_score is not null
            then computed_execution_score + recomputed_indicator_score_sum end as recomputed_total_score
    from combined
),

bands as (
    {{ parse_grade_bands(ref('project_grade_bands')) }}
),

graded as (
    select
        t.*,
        (
            select b.grade from bands as b
            where (t.recomputed_total_score > b.lower_bound
                   or (b.lower_inclusive and t.recomputed_total_score = b.lower_bound))
              and (t.recomputed_total_score < b.upper_bound
                   or (b.upper_inclusive and t.recomputed_total_score = b.upper_bound))
            order by b.upper_bound desc
            limit 1
        ) as recomputed_grade
    from totalled as t
)

select
    p.department_code,
    n.department_name,
    p.fiscal_year,
    p.project_code,
    p.project_name,
    p.competent_department,
    p.implementing_unit,
    p.project_type,
    p.overall_target,
    p.overall_actual,
    p.initial_budget,
    p.final_budget,
    p.actual_spend,
    p.sources_initial_budget,
    p.sources_final_budget,
    p.sources_actual_spend,
    p.appropriation_initial_budget,
    p.appropriation_final_budget,
    p.appropriation_actual_spend,
    p.carryover_initial_budget,
    p.carryover_final_budget,
    p.carryover_actual_spend,
    p.other_initial_budget,
    p.other_final_budget,
    p.other_actual_spend,
    p.execution_rate,
    p.execution_basis,
    p.stated_execution_rate,
    p.stated_execution_rate_text,
    p.execution_weight,
    p.stated_execution_score,
    p.computed_execution_score,
    p.indicator_count,
    p.indicator_weight_sum,
    p.stated_indicator_score_sum,
    p.recomputed_indicator_score_sum,
    p.all_indicators_recomputed,
    p.stated_total_score,
    p.recomputed_total_score,
    p.stated_grade,
    p.recomputed_grade,
    p.source_complete,
    p.source_missing_parts,
    (select count(*) from {{ ref('data_quality_findings') }} as f
     where f.department_code = p.department_code and f.fiscal_year = p.fiscal_year
       and f.project_code = p.project_code) as finding_count,
    (select count(*) from {{ ref('data_quality_findings') }} as f
     where f.department_code = p.department_code and f.fiscal_year = p.fiscal_year
       and f.project_code = p.project_code and f.severity = 'error') as error_count,
    p.is_synthetic,
    p.source_document,
    p._source_file as source_file,
    p._source_row as source_row
from graded as p
left join {{ ref('int_department_names') }} as n
    on n.department_code = p.department_code and n.fiscal_year = p.fiscal_year
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
