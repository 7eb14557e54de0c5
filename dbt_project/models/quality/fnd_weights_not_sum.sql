-- Weights that do not sum to their stated total: the self-evaluation's dimension weights against
-- its total row, and the indicators' weights under a level-1 heading against the heading's weight
-- (written in the heading, 产出指标(50分), else the national form's: seeds/indicator_level_weights.csv).
with self_evaluation as (
    select distinct department_code, fiscal_year, first(source_file) over w as source_file,
        coalesce(total_source_row, first(source_row) over w) as source_row, '评价维度分值' as subject,
        stated_total_weight as stated, dimension_weight_sum as computed
    from {{ ref('self_evaluation') }}
    window w as (partition by department_code, fiscal_year order by line_no)
),

levels as (
    select
        i.department_code, i.fiscal_year, i.level1,
        min(i.source_file) as source_file, min(i.source_row) as source_row,
        coalesce(
            try_cast(regexp_extract({{ normalize_text('i.level1') }}, '\(([0-9.]+)分\)', 1) as decimal(12,4)),
            max(w.standard_weight)) as stated,
        sum(i.weight) as computed,
        count(*) filter (where i.weight is null) as unweighted
    from {{ ref('indicator_completion') }} as i
    left join {{ ref('indicator_level_weights') }} as w on w.level1 = i.level1
    where i.level1 is not null and i.part_no = 1
    group by i.department_code, i.fiscal_year, i.level1
),

candidates as (
    select *, 'weight' as source_column, '分值' as what from self_evaluation
    union all
    select department_code, fiscal_year, source_file, source_row, level1 || '指标分值', stated, computed, 'weight', '分值'
    from levels
    where unweighted = 0
)

select
    'weights_not_sum' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    source_column,
    subject,
    {{ trimmed('stated') }} as stated_value,
    {{ trimmed('computed') }} as computed_value,
    subject || '之和为' || {{ trimmed('computed') }} || '，不等于其总分值' || {{ trimmed('stated') }} as message_zh,
    subject || ' (weights) sum to ' || {{ trimmed('computed') }} || ', not to their stated total '
        || {{ trimmed('stated') }} as message_en
from candidates
where stated is not null and computed is not null and stated <> computed
