-- depends_on: {{ source('rule_sets', 'rule_set_items') }}
-- One row per project form and project rule set. The score_<dimension> columns come from the rule
-- sets when dbt compiles (macros/scores.sql).
{{ entity_scores_select('project') }}
