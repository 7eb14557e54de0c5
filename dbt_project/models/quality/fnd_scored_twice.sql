-- The same figure scored twice in two ways within one form: the execution rate scored as the form's
-- execution item (the funding table's 分值) and again as an indicator (预算执行率, 资金执行率, 预算完成率:
-- var execution_rate_indicator_names); or the same indicator name scored twice with different 分值 or 得分.
with indicators as (
    select *, self_score as stated_score, self_score_text as stated_score_text
    from {{ ref('int_indicators__form_scores') }}
    where part_no = 1
),

execution_twice as (
    select
        i.department_code, i.fiscal_year, i.project_code, i._source_file as source_file, i._source_row as source_row, i.indicator_name as subject,
        {{ trimmed('i.weight') }} as stated, {{ trimmed('f.execution_weight') }} as computed,
        i.indicator_name || '（分值' || {{ trimmed('i.weight') }} || '）与预算执行率得分项（分值'
            || {{ trimmed('f.execution_weight') }} || '）重复计分' as message_zh,
        i.indicator_name || ' (' || {{ trimmed('i.weight') }} || ' points) scores the execution rate that the '
            || 'execution item (' || {{ trimmed('f.execution_weight') }} || ' points) already scores' as message_en
    from indicators as i
    join {{ ref('int_scored_forms') }} as f
        on f.department_code = i.department_code and f.fiscal_year = i.fiscal_year
        and f.entity_type = i.entity_type and coalesce(f.project_code, '') = coalesce(i.project_code, '')
    where f.execution_weight is not null
        and ({% for name in var('execution_rate_indicator_names') %}contains(i.indicator_name, '{{ name }}'){% if not loop.last %} or {% endif %}{% endfor %})
),

same_name as (
    select
        b.department_code, b.fiscal_year, b.project_code, b._source_file, b._source_row, b.indicator_name,
        {{ trimmed('b.weight') }} || '/' || coalesce(b.stated_score_text, '—'),
        {{ trimmed('a.weight') }} || '/' || coalesce(a.stated_score_text, '—'),
        b.indicator_name || '在同一表中出现两次，分值/得分分别为' || {{ trimmed('a.weight') }} || '/'
            || coalesce(a.stated_score_text, '—') || '与' || {{ trimmed('b.weight') }} || '/'
            || coalesce(b.stated_score_text, '—'),
        b.indicator_name || ' is scored twice in the form: ' || {{ trimmed('a.weight') }} || ' points / '
            || coalesce(a.stated_score_text, '—') || ' and ' || {{ trimmed('b.weight') }} || ' points / '
            || coalesce(b.stated_score_text, '—')
    from indicators as a
    join indicators as b
        on b.department_code = a.department_code and b.fiscal_year = a.fiscal_year
        and b.entity_type = a.entity_type and coalesce(b.project_code, '') = coalesce(a.project_code, '')
        and b.indicator_name = a.indicator_name and b.indicator_no > a.indicator_no
    where a.weight is distinct from b.weight or a.stated_score is distinct from b.stated_score
)

select
    'scored_twice' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    source_file,
    source_row,
    'indicator_name' as source_column,
    subject,
    project_code,
    stated as stated_value,
    computed as computed_value,
    message_zh,
    message_en
from (
    select * from execution_twice
    union all
    select * from same_name
) as found
