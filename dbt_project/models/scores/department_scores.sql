-- depends_on: {{ source('rule_sets', 'rule_set_items') }}
-- One row per department-year and department rule set. The score_<dimension> and
-- pefa_<indicator>_rating columns come from the rule sets when dbt compiles (macros/scores.sql).
{{ entity_scores_select('department') }}
