-- Grade bands as declared by the department, with each interval parsed into its two ends.
with typed as (
    {{ staged_select('grade_bands') }}
)

{{ parse_grade_bands('typed', ['department_code', 'fiscal_year', '_source_file', '_source_row', '_partition_year']) }}
