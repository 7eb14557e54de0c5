-- Raw files that broke the raw data contract when they were loaded (Great Expectations suites in
-- expectations/), and what the load noticed about the raw folder: quarantined files or rows are errors,
-- remarks warnings, sources removed because they left data/raw information (the loader's severity).
select
    'contract:' || check_name as check_name,
    coalesce(severity, case when action like '%quarantined%' then 'error' else 'warning' end) as severity,
    department_code,
    _partition_year as fiscal_year,
    source_file,
    source_row,
    source_column,
    coalesce(kind, '(file)') as subject,
    value as stated_value,
    null::string as computed_value,
    '原始文件不符合数据规范：' || reason || '（' || action || '）' as message_zh,
    'the raw file breaks the data contract: ' || reason || ' (' || action || ')' as message_en
from {{ source('reports', '_contract_findings') }}
