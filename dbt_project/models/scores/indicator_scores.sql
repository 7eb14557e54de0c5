-- Every scored item of every rule set for every department-year and project form, explained.
select
    department_code, department_name, fiscal_year, entity_type, project_code, rule_set, dimension, item,
    indicator, rule, cast(weight as decimal(14,4)) as weight, cast(score as decimal(14,4)) as score, score_source,
    explanation, cast(figure_value as decimal(28,10)) as figure_value, rating, finding, is_synthetic
from {{ ref('scr_item_scores') }}
