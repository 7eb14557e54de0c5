-- Every scored item of every rule set, with the keys the score marts sort and aggregate by.
-- (incremental: only the refresh slices' rows are written; macros/fiscal_years.sql)
select * from (
select * from {{ ref('scr_figure_item_scores') }}
union all
select * from {{ ref('scr_pefa_item_scores') }}
union all
select * from {{ ref('scr_judgment_item_scores') }}
union all
select * from {{ ref('scr_indicator_item_scores') }}
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
