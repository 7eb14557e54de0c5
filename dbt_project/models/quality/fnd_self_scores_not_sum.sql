-- Self-scores that do not add up: the dimension scores against the stated total, and each
-- dimension's weight minus its deduction against its score.
with totals as (
    select distinct department_code, fiscal_year, first(_source_file) over w as source_file,
        coalesce(total_source_row, first(_source_row) over w) as source_row, 'self_score' as source_column, '自评总分' as subject,
        stated_total_score as stated, dimension_score_sum as computed, '各维度得分之和' as parts_zh,
        'the sum of the dimension scores' as parts_en
    from {{ ref('int_self_evaluation__graded') }}
    window w as (partition by department_code, fiscal_year order by line_no)
),

dimensions as (
    select department_code, fiscal_year, _source_file, _source_row, 'self_score', dimension || '得分', self_score,
        weight - deduction, '分值减扣分', 'the weight minus the deduction'
    from {{ ref('int_self_evaluation__graded') }}
),

candidates as (
    select * from totals
    union all
    select * from dimensions
)

select
    'self_scores_not_sum' as check_name,
    'error' as severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    source_column,
    subject,
    {{ trimmed('stated') }} as stated_value,
    {{ trimmed('computed') }} as computed_value,
    subject || '为' || {{ trimmed('stated') }} || '，' || parts_zh || '为' || {{ trimmed('computed') }} as message_zh,
    subject || ': stated ' || {{ trimmed('stated') }} || ', but ' || parts_en || ' is ' || {{ trimmed('computed') }}
        as message_en
from candidates
where stated is not null and computed is not null and stated <> computed
