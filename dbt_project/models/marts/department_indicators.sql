-- (incremental: only the refresh years' rows are written; macros/fiscal_years.sql)
select * from (
select * from {{ ref('int_department_indicators') }}
) as model_rows
where {{ in_refresh_years('fiscal_year') }}
