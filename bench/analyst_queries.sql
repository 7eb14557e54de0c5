-- Analyst queries timed by bench/run_bench.py on the published warehouse (read-only connection).
-- Each block starts with "-- name: <name>"; `?` parameters are filled in by the benchmark.

-- name: rank_in_year
-- Rank the departments of a year under a rule set (parameters: rule set, fiscal year).
select rank_in_year, department_code, department_name, total_score, grade, self_score, score_gap
from marts.department_scores
where rule_set = ? and fiscal_year = ?
order by rank_in_year, department_code;

-- name: department_trend
-- A department's scores over the years under a rule set (parameters: department code, rule set).
select fiscal_year, total_score, grade, rank_in_year, yoy_change
from marts.department_scores
where department_code = ? and rule_set = ?
order by fiscal_year;

-- name: worst_execution_rates
-- The 20 budget lines with the lowest execution rate.
select department_code, department_name, fiscal_year, line_no, project_name, final_budget, actual_spend,
       execution_rate
from marts.project_execution
where execution_rate is not null
order by execution_rate, department_code, fiscal_year, line_no
limit 20;

-- name: findings_by_check
-- Data-quality findings by check and severity.
select check_name, severity, count(*) as findings, count(distinct department_code) as departments
from marts.data_quality_findings
group by check_name, severity
order by findings desc, check_name, severity;
