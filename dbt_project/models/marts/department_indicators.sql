select * from {{ ref('int_department_indicators') }}
