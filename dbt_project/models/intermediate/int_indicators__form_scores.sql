-- Each scored indicator (one with a 分值) of any form, recomputed under the form's own rule (财预〔2020〕10号):
-- a quantitative indicator scores 分值 × completion, capped at 分值 (completion is target / actual when
-- lower is better); a qualitative one, or a number target with a text actual, scores within the band of
-- its verdict (seeds/qualitative_score_bands.csv, scheme var form_qualitative_scheme): recomputed_score
-- is the most the band allows, recomputed_min the least. Stated figures are kept beside: 得分, 得分系数.
with indicators as (
    select * from {{ ref('int_indicators__completion') }}
    where weight is not null
),

bands as (
    select level, min_share, max_share from {{ ref('qualitative_score_bands') }}
    where scheme = '{{ var("form_qualitative_scheme") }}'
),

based as (
    select
        i.*,
        case
            when i.target_kind = 'quantitative' and coalesce(i.completion_rate, i.stated_completion_rate) is not null
                then 'completion'
            when i.target_kind in ('quantitative', 'qualitative') and i.assessment is not null then 'qualitative band'
        end as scoring_basis,
        coalesce(i.completion_rate, i.stated_completion_rate) as effective_completion,
        b.min_share,
        b.max_share,
        greatest(coalesce({{ stated_decimals('i.self_score_text') }}, 0), 1) as score_decimals
    from indicators as i
    left join bands as b on b.level = i.assessment
)

select
    *,
    case scoring_basis
        when 'completion' then cast(least(weight, greatest(0, weight * effective_completion)) as decimal(18,6))
        when 'qualitative band' then cast(weight * max_share as decimal(18,6))
    end as recomputed_score,
    case scoring_basis
        when 'completion' then cast(least(weight, greatest(0, weight * effective_completion)) as decimal(18,6))
        when 'qualitative band' then cast(weight * min_share as decimal(18,6))
    end as recomputed_min_score,
    coalesce(status = 'met' or (scoring_basis = 'qualitative band' and assessment = 'achieved'), false) as fully_met
from based
