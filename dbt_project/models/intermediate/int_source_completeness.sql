-- One row per department-year or project whose transcription states that its source is cut off:
-- which kinds, and what is missing. Checks that need the whole form read it to report "cannot be
-- checked: the source is incomplete" (info) instead of an error.
select
    department_code,
    fiscal_year,
    project_code,
    string_agg(file_kind, ',' order by file_kind) as cut_off_kinds,
    string_agg(coalesce(missing_parts, file_kind), '；' order by file_kind) as missing_parts,
    min(_source_file) as source_file,
    min(_source_row) as source_row
from {{ ref('stg_reports__source_completeness') }}
where completeness = 'cut_off'
group by department_code, fiscal_year, project_code
