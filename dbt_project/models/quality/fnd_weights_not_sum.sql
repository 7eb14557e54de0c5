-- Weights that do not sum to their stated total: the self-evaluation's dimension weights against its
-- total row; the indicators' 分值 under a heading against the points the heading states, at both
-- levels (产出指标(50分), 数量指标(20分)), for every form (a department's or a project's); a level-1
-- heading that states none takes the national form's (seeds/indicator_level_weights.csv), for the
-- entity types of var default_heading_points_for. Where the
-- transcription says the source is cut off, the sums cannot be checked: an info finding says so.
with self_evaluation as (
    select distinct department_code, fiscal_year, first(_source_file) over w as source_file,
        coalesce(total_source_row, first(_source_row) over w) as source_row, '评价维度分值' as subject,
        stated_total_weight as stated, dimension_weight_sum as computed, null::string as project_code,
        0 as unweighted, true as source_complete, null::string as source_missing_parts
    from {{ ref('int_self_evaluation__graded') }}
    window w as (partition by department_code, fiscal_year order by line_no)
),

headed as (
    select
        i.department_code, i.fiscal_year, i.entity_type, i.project_code, 1 as level, '' as parent, i.level1 as heading,
        coalesce(i.level1_points, w.standard_weight) as stated, i.weight, i._source_file as source_file,
        i._source_row as source_row
    from {{ ref('int_indicators__completion') }} as i
    left join {{ ref('indicator_level_weights') }} as w
        on w.level1 = i.level1_name
        and i.entity_type in ({% for e in var('default_heading_points_for') %}'{{ e }}'{% if not loop.last %}, {% endif %}{% endfor %})
    where i.level1 is not null and i.part_no = 1
    union all
    select
        department_code, fiscal_year, entity_type, project_code, 2, coalesce(level1, ''), level2, level2_points,
        weight, _source_file, _source_row
    from {{ ref('int_indicators__completion') }}
    where level2_points is not null and part_no = 1
),

levels as (
    select
        department_code, fiscal_year, entity_type, project_code, level, parent, heading,
        min(source_file) as source_file, min(source_row) as source_row,
        max(stated) as stated, sum(weight) as computed, count(*) filter (where weight is null) as unweighted
    from headed
    group by department_code, fiscal_year, entity_type, project_code, level, parent, heading
),

candidates as (
    select *, 'weight' as source_column from self_evaluation
    union all
    select l.department_code, l.fiscal_year, l.source_file, l.source_row, l.heading || '指标分值', l.stated,
        l.computed, l.project_code, l.unweighted, coalesce(c.source_complete, true), c.source_missing_parts, 'weight'
    from levels as l
    left join {{ ref('int_scored_forms') }} as c
        on c.department_code = l.department_code and c.fiscal_year = l.fiscal_year
        and c.entity_type = l.entity_type and coalesce(c.project_code, '') = coalesce(l.project_code, '')
    -- a heading whose indicators carry no 分值 at all scores nothing of its own, unless its source is cut off
    where not coalesce(c.source_complete, true) or l.unweighted < (select count(*) from headed as h
                          where h.department_code = l.department_code and h.fiscal_year = l.fiscal_year
                            and h.entity_type = l.entity_type and coalesce(h.project_code, '') = coalesce(l.project_code, '')
                            and h.level = l.level and h.parent = l.parent and h.heading = l.heading)
),

judged as (
    select
        *,
        case
            when stated is null then null
            when unweighted = 0 and computed = stated then null
            when unweighted = 0 then 'error'
            when not source_complete then 'info'
        end as severity
    from candidates
)

select
    'weights_not_sum' as check_name,
    severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    source_column,
    subject,
    project_code,
    {{ trimmed('stated') }} as stated_value,
    {{ trimmed('computed') }} as computed_value,
    case severity
        when 'info' then subject || '之和无法核对：来源不完整（' || coalesce(source_missing_parts, '') || '）'
        else subject || '之和为' || {{ trimmed('computed') }} || '，不等于其总分值' || {{ trimmed('stated') }}
    end as message_zh,
    case severity
        when 'info' then subject || ' (weights) cannot be checked: the source is incomplete ('
            || coalesce(source_missing_parts, '') || ')'
        else subject || ' (weights) sum to ' || {{ trimmed('computed') }} || ', not to their stated total '
            || {{ trimmed('stated') }}
    end as message_en
from judged
where severity is not null
