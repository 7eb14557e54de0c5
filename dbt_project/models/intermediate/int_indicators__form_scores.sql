-- Each scored indicator (one with a 分值) of any form, recomputed under the form's own rule (财预〔2020〕10号):
-- a quantitative indicator scores 分值 × completion, capped at 分值 (completion is target / actual when
-- lower is better); a qualitative one, or a number target with a text actual, scores within the band of
-- its verdict (seeds/qualitative_score_bands.csv, scheme var form_qualitative_scheme): recomputed_score
-- is the most the band allows, recomputed_min the least. Stated figures are kept beside: 得分, 得分系数.
-- A slash-packed row's 分值 belongs to the row (one row here, under its packed name), and an actual
-- for part of the year (1-10月) cannot show the year's completion: neither is recomputed
-- (scoring_basis says why); the partial-year check reports the latter.
-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
with indicators as (
    select
        * except (indicator_name),
        case when part_count > 1 then packed_indicator_name else indicator_name end as indicator_name
    from {{ ref('int_indicators__completion') }}
    where weight is not null and part_no = 1 and {{ in_refresh_years('fiscal_year') }}
),

bands as (
    select level, min_share, max_share from {{ ref('qualitative_score_bands') }}
    where scheme = '{{ var("form_qualitative_scheme") }}'
),

based as (
    select
        i.*,
        case
            when i.part_count > 1 then 'packed row'
            when i.actual_period is not null then 'partial-year actual'
            when i.target_kind = 'quantitative' and coalesce(i.completion_rate, i.stated_completion_rate) is not null
                then 'completion'
            when i.target_kind in ('quantitative', 'qualitative') and i.assessment is not null then 'qualitative band'
        end as scoring_basis,
        coalesce(i.completion_rate, i.stated_completion_rate) as effective_completion,
        b.min_share,
        b.max_share
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
    coalesce(scoring_basis = 'completion' and status_detail = 'met'
             or (scoring_basis = 'qualitative band' and assessment = 'achieved'), false) as fully_met
from based
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
