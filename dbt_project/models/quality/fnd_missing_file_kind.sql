-- A department-year without one of the file kinds every department must submit (its profile, budget
-- lines, "三公" table, indicators, self-evaluation: seeds/required_file_kinds.csv, rendered from the
-- contract's required_kinds): what is missing cannot be checked or scored.
with required as (
    select d.department_code, d.fiscal_year, d.source_file, d.submitted_kinds, k.kind
    from {{ ref('int_department_totals') }} as d
    cross join {{ ref('required_file_kinds') }} as k
)

select
    'missing_file_kind' as check_name,
    'warning' as severity,
    department_code,
    fiscal_year,
    source_file,
    null::integer as source_row,
    null::string as source_column,
    kind as subject,
    submitted_kinds as stated_value,
    null::string as computed_value,
    department_code || ' ' || cast(fiscal_year as string) || '年缺少“' || kind || '”文件' as message_zh,
    department_code || ' ' || cast(fiscal_year as string) || ' submitted no ' || kind || ' file' as message_en
from required
-- submitted_kinds lists the kinds comma-separated
where not contains(',' || submitted_kinds || ',', ',' || kind || ',')
