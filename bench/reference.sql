-- Reference implementation of the core marts, in one plain DuckDB SQL script.
--
-- No orchestration, no dbt, no Python: it reads the raw CSV files of the raw data contract straight
-- from ${RAW_DIR} and computes, into the schema `ref` (the benchmark substitutes ${RAW_DIR}, and
-- ${QUARANTINED_FILES} / ${QUARANTINED_SLICES}, DuckDB list literals, usually [], see raw_files below):
--   ref.project_execution      (department_code, fiscal_year, line_no, final_budget, actual_spend, variance,
--                               execution_rate)
--   ref.department_execution   (department_code, fiscal_year, initial_budget, budget_adjustment, final_budget,
--                               actual_spend, execution_rate, adjustment_rate, headcount_authorized,
--                               headcount_actual)
--   ref.three_public_expenses  (department_code, fiscal_year, line_no, category, budget, actual, usage_rate)
--   ref.indicator_completion   (department_code, fiscal_year, indicator_no, part_no, target_value, actual_value,
--                               completion_rate)
--   ref.department_scores      (department_code, fiscal_year, rule_set = 'pefa_outturn', score_pi1, score_pi2,
--                               total_score, grade, rank_in_year)
--
-- Semantics (docs/raw-data.md, dbt_project/macros/parsing.sql, docs/scoring.md):
--   * amounts are exact DECIMAL(24,6) in 万元 (unit factors of dbt_project/seeds/units.csv, inlined below);
--     thousands separators and full-width digits are accepted, a lone dash is 0;
--   * ratios divide scaled integers and round half up at 10 decimals (exact_ratio);
--   * 合计 (line_type total) rows are not budget lines; department totals come from the first budget_summary
--     statement of scope all (else project), else from the sum of the lines;
--   * indicators: a slash-packed row is split into parts when its name and its target have the same number of
--     parts; per (department-year, indicator_no, part_no) the row with an actual wins, the result table first.
--
-- Scope and limits: CSV files only (no XLSX workbooks, no GB18030 conversion), file names in English
-- (<kind>.csv), Chinese headers (the demo generator's). It does not validate the contract itself: what the
-- pipeline quarantined (meta.contract_findings: whole files, or one department's rows of a consolidated
-- file) is passed in and left out, as the pipeline left it out; a previous version the pipeline kept in its
-- place cannot be reproduced from the files (the benchmark warns). Reviewer score files are not read: the
-- PEFA rule set takes no judgment points.

create schema if not exists ref;

-- ----------------------------------------------------------------------------------------------------------
-- Parsing (the rules of dbt_project/macros/parsing.sql)

create or replace macro norm_text(x) as
    case when strlen(x) = length(x) then x  -- ASCII only: nothing to translate, and translate is slow
         else translate(x, '０１２３４５６７８９．，％（）－＋　：／−［］【】', '0123456789.,%()-+ :/-[][]') end;
create or replace macro txt(x) as nullif(trim(x), '');
create or replace macro int_of(x) as try_cast(replace(trim(norm_text(x)), ',', '') as integer);
create or replace macro num_of(x) as try_cast(replace(replace(norm_text(x), ',', ''), ' ', '') as decimal(24,6));
create or replace macro amount_of(x) as
    case
        when nullif(trim(x), '') is null then null
        when regexp_full_match(trim(norm_text(x)), '[-—–]+') then 0::decimal(24,6)
        else num_of(x)
    end;
create or replace macro wan(x, factor) as cast(amount_of(x) * factor as decimal(24,6));
create or replace macro code_of(x) as lower(trim(x));
create or replace macro exact_ratio(num, den) as
    case
        when (num) is null or (den) is null or (den) = 0 then null
        else cast(
            sign((num)::decimal(24,6)) * sign((den)::decimal(24,6))
            * ((abs((num)::decimal(24,6)) * 1000000)::hugeint * 10000000000::hugeint * 2
               + (abs((den)::decimal(24,6)) * 1000000)::hugeint)
            // (2 * (abs((den)::decimal(24,6)) * 1000000)::hugeint)
            as decimal(38,0)) * cast('1e-10' as decimal(38,10))
    end::decimal(28,10);

-- dbt_project/seeds/units.csv (the units a figure may carry; only CNY units convert to 万元)
create or replace table ref.units as
select unit, canonical_unit, dimension, base_factor::decimal(24,6) as base_factor,
       to_wan_factor::decimal(24,6) as to_wan_factor
from (values
    ('元', '元', 'CNY', 1, 0.0001), ('千元', '千元', 'CNY', 1000, 0.1), ('万元', '万元', 'CNY', 10000, 1),
    ('亿元', '亿元', 'CNY', 100000000, 10000), ('美元', '美元', 'USD', 1, null), ('万美元', '万美元', 'USD', 10000, null),
    ('亿美元', '亿美元', 'USD', 100000000, null), ('%', '%', 'percent', 1, null), ('百分比', '%', 'percent', 1, null),
    ('个', '个', 'count:个', 1, null), ('户', '户', 'count:户', 1, null), ('家', '家', 'count:家', 1, null),
    ('人', '人', 'count:人', 1, null), ('人次', '人次', 'count:人次', 1, null), ('票', '票', 'count:票', 1, null),
    ('次', '次', 'count:次', 1, null), ('篇', '篇', 'count:篇', 1, null), ('项', '项', 'count:项', 1, null),
    ('件', '件', 'count:件', 1, null), ('亩', '亩', 'area:亩', 1, null), ('平方米', '平方米', 'area:平方米', 1, null),
    ('米', '米', 'length:米', 1, null), ('天', '天', 'duration:天', 1, null), ('小时', '小时', 'duration:小时', 1, null)
) as u(unit, canonical_unit, dimension, base_factor, to_wan_factor);

-- ----------------------------------------------------------------------------------------------------------
-- Raw files: every <kind>.csv under a year folder, read as text (as the loader reads them), except what the
-- pipeline quarantined for breaking the contract: whole files (${QUARANTINED_FILES}, full paths) and, in a
-- file of many departments, one department's rows (${QUARANTINED_SLICES}, '<full path>|<department code>').
-- Both lists are usually empty.

create or replace macro raw_files(kind) as table
select * exclude (filename)
from read_csv('${RAW_DIR}/[0-9][0-9][0-9][0-9]/**/' || kind || '.csv', all_varchar = true, header = true,
              union_by_name = true, delim = ',', quote = '"', escape = '"', null_padding = true, filename = true)
where not list_contains(${QUARANTINED_FILES}::varchar[], filename)
  and not coalesce(list_contains(${QUARANTINED_SLICES}::varchar[], filename || '|' || nullif("部门编码", '')), false);

-- ----------------------------------------------------------------------------------------------------------
-- Raw files, typed (Chinese headers of contract/raw_contract.yaml mapped to the contract's names)

create or replace table ref.budget_lines as
select
    txt("部门编码") as department_code,
    int_of("年度") as fiscal_year,
    int_of("序号") as line_no,
    case trim("行类型") when '明细' then 'item' when '合计' then 'total' else code_of("行类型") end as line_type,
    case trim("支出类型") when '基本支出' then 'basic' when '项目支出' then 'project' else code_of("支出类型") end
        as expenditure_type,
    wan("年初预算", u.to_wan_factor) as initial_budget,
    wan("最终预算", u.to_wan_factor) as final_budget,
    wan("决算金额", u.to_wan_factor) as actual_spend
from raw_files('budget_lines') as src
left join ref.units as u on u.unit = trim(src."金额单位");

create or replace table ref.budget_summary as
select
    txt("部门编码") as department_code,
    int_of("年度") as fiscal_year,
    int_of("表述序号") as statement_no,
    case trim("口径") when '部门整体' then 'all' when '基本支出' then 'basic' when '项目支出' then 'project'
        else code_of("口径") end as scope,
    wan("年初预算", u.to_wan_factor) as initial_budget,
    wan("年中调整", u.to_wan_factor) as budget_adjustment,
    wan("最终预算", u.to_wan_factor) as final_budget,
    wan("实际支出", u.to_wan_factor) as actual_spend
from raw_files('budget_summary') as src
left join ref.units as u on u.unit = trim(src."金额单位");

create or replace table ref.three_public as
select
    txt("部门编码") as department_code,
    int_of("年度") as fiscal_year,
    int_of("序号") as line_no,
    case trim("经费类别")
        when '因公出国（境）费' then 'overseas_travel' when '公务用车购置及运行维护费' then 'official_vehicles'
        when '公务接待费' then 'official_reception' when '合计' then 'total' else code_of("经费类别")
    end as category,
    wan("预算金额", u.to_wan_factor) as budget,
    wan("支出金额", u.to_wan_factor) as actual
from raw_files('three_public') as src
left join ref.units as u on u.unit = trim(src."金额单位");

create or replace table ref.staffing as
select
    txt("部门编码") as department_code,
    int_of("年度") as fiscal_year,
    case trim("人数类型") when '编制数' then 'authorized' when '在职实有人数' then 'actual' else code_of("人数类型") end
        as headcount_kind,
    case trim("行类型") when '明细' then 'item' when '合计' then 'total' else code_of("行类型") end as line_type,
    int_of("人数") as headcount
from raw_files('staffing');

create or replace table ref.indicators as
select
    txt("部门编码") as department_code,
    int_of("年度") as fiscal_year,
    case trim("来源表") when '目标表' then 'goal' when '完成情况表' then 'result' else code_of("来源表") end
        as source_table,
    int_of("序号") as indicator_no,
    txt("指标名称") as indicator_name,
    txt("目标值") as target_text,
    txt("实际完成值") as actual_text
from raw_files('indicators');

-- Every department-year that submitted any of the six kinds the warehouse counts (int_department_years).
-- (One kind per statement: DuckDB keeps the files of a union_by_name read open while the statement runs.)
create or replace table ref.profile_keys as
select txt("部门编码") as department_code, int_of("年度") as fiscal_year from raw_files('department_profile');

create or replace table ref.self_evaluation_keys as
select txt("部门编码") as department_code, int_of("年度") as fiscal_year from raw_files('self_evaluation');

create or replace table ref.department_years as
select distinct department_code, fiscal_year
from (
    select department_code, fiscal_year from ref.budget_lines
    union all select department_code, fiscal_year from ref.budget_summary
    union all select department_code, fiscal_year from ref.three_public
    union all select department_code, fiscal_year from ref.indicators
    union all select department_code, fiscal_year from ref.profile_keys
    union all select department_code, fiscal_year from ref.self_evaluation_keys
)
where department_code is not null and fiscal_year is not null;

-- ----------------------------------------------------------------------------------------------------------
-- project_execution: budget lines (not the 合计 row) with variance and execution rate

create or replace table ref.project_execution as
select
    b.department_code,
    b.fiscal_year,
    b.line_no,
    b.initial_budget,
    b.final_budget,
    b.actual_spend,
    b.actual_spend - b.final_budget as variance,
    exact_ratio(b.actual_spend, b.final_budget) as execution_rate
from ref.budget_lines as b
semi join ref.department_years as d on d.department_code = b.department_code and d.fiscal_year = b.fiscal_year
where b.line_type = 'item';

-- ----------------------------------------------------------------------------------------------------------
-- department_execution: stated totals (scope all, else project; first statement), else the lines' sums

create or replace table ref.department_execution as
with stated as (
    select *
    from ref.budget_summary
    where scope in ('all', 'project')
    qualify row_number() over (partition by department_code, fiscal_year
                               order by case scope when 'all' then 0 else 1 end, statement_no) = 1
),

line_sums as (
    select department_code, fiscal_year, sum(initial_budget) as initial_budget, sum(final_budget) as final_budget,
           sum(actual_spend) as actual_spend
    from ref.budget_lines
    where line_type = 'item'
    group by all
),

heads as (
    select
        department_code,
        fiscal_year,
        coalesce(max(headcount) filter (where headcount_kind = 'authorized' and line_type = 'total'),
                 sum(headcount) filter (where headcount_kind = 'authorized' and line_type = 'item'))
            as headcount_authorized,
        coalesce(max(headcount) filter (where headcount_kind = 'actual' and line_type = 'total'),
                 sum(headcount) filter (where headcount_kind = 'actual' and line_type = 'item')) as headcount_actual
    from ref.staffing
    group by all
),

totals as (
    select
        d.department_code,
        d.fiscal_year,
        coalesce(s.initial_budget, l.initial_budget) as initial_budget,
        coalesce(s.budget_adjustment, s.final_budget - s.initial_budget) as budget_adjustment,
        coalesce(s.final_budget, l.final_budget) as final_budget,
        coalesce(s.actual_spend, l.actual_spend) as actual_spend,
        h.headcount_authorized,
        h.headcount_actual
    from ref.department_years as d
    left join stated as s using (department_code, fiscal_year)
    left join line_sums as l using (department_code, fiscal_year)
    left join heads as h using (department_code, fiscal_year)
)

select
    department_code,
    fiscal_year,
    initial_budget,
    budget_adjustment,
    final_budget,
    actual_spend,
    exact_ratio(actual_spend, final_budget) as execution_rate,
    exact_ratio(budget_adjustment, initial_budget) as adjustment_rate,
    headcount_authorized,
    headcount_actual
from totals;

-- ----------------------------------------------------------------------------------------------------------
-- three_public_expenses: every 三公 row (categories and the stated total) with its usage rate

create or replace table ref.three_public_expenses as
select
    t.department_code,
    t.fiscal_year,
    t.line_no,
    t.category,
    t.budget,
    t.actual,
    exact_ratio(t.actual, t.budget) as usage_rate
from ref.three_public as t
semi join ref.department_years as d on d.department_code = t.department_code and d.fiscal_year = t.fiscal_year;

-- ----------------------------------------------------------------------------------------------------------
-- indicator_completion: slash-packed rows split, the preferred statement per indicator part, targets and
-- actuals parsed (comparator, value, unit), completion rate where both are numbers of the same dimension

create or replace table ref.indicator_completion as
with split as (
    select
        *,
        string_split(replace(indicator_name, '／', '/'), '/') as name_parts,
        string_split(replace(coalesce(target_text, ''), '／', '/'), '/') as target_parts,
        string_split(replace(coalesce(actual_text, ''), '／', '/'), '/') as actual_parts
    from ref.indicators
),

parts as (
    select
        s.department_code,
        s.fiscal_year,
        s.source_table,
        s.indicator_no,
        p.part_no,
        case when s.n > 1 then trim(s.target_parts[p.part_no]) else trim(s.target_text) end as target_text,
        case when s.n > 1 and len(s.actual_parts) = s.n then trim(s.actual_parts[p.part_no]) else s.actual_text end
            as actual_text
    from (
        select *, case when len(name_parts) > 1 and len(name_parts) = len(target_parts) then len(name_parts) else 1
                  end as n
        from split
    ) as s
    cross join lateral (select unnest(generate_series(1, s.n)) as part_no) as p
),

preferred as (
    select *
    from parts
    qualify row_number() over (
        partition by department_code, fiscal_year, indicator_no, part_no
        order by case when actual_text is not null then 0 else 1 end,
                 case source_table when 'result' then 0 else 1 end) = 1
),

matched as (
    select
        *,
        regexp_extract(norm_text(target_text),
            '^\s*(≥|≤|>=|<=|=|>|<|不低于|不少于|不高于|不超过|大于|小于|达到)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s0-9]*)\s*$',
            ['comparator', 'value', 'unit']) as tm,
        regexp_extract(norm_text(actual_text), '完成\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s0-9(),;:/.，。；、]*)',
                       ['value', 'unit']) as after_done,
        regexp_extract(norm_text(actual_text),
            '^\s*(?:≥|≤|>=|<=|=)?\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*([^\s0-9(),;:/.，。；、]*)', ['value', 'unit'])
            as leading_figure
    from preferred
),

chosen as (
    -- the figure after 完成 ("1-11月完成12个") where there is one, else the leading figure
    select *, case when after_done.value <> '' then after_done else leading_figure end as am
    from matched
),

valued as (
    select
        m.department_code,
        m.fiscal_year,
        m.indicator_no,
        m.part_no,
        case
            when nullif(trim(m.target_text), '') is null then 'none'
            when regexp_full_match(trim(m.target_text), '[-—–/无]+') then 'none'
            when m.tm.value <> '' then 'quantitative'
            else 'qualitative'
        end as target_kind,
        m.tm.comparator in ('≤', '<=', '不高于', '不超过', '<', '小于') and m.tm.value <> '' as lower_is_better,
        cast(nullif(replace(m.tm.value, ',', ''), '') as decimal(24,6)) as target_value,
        coalesce(tu.canonical_unit, nullif(m.tm.unit, '')) as target_unit,
        tu.dimension as target_dimension,
        tu.base_factor as target_factor,
        case when au.unit is not null or m.am.unit = ''
            then cast(nullif(replace(m.am.value, ',', ''), '') as decimal(24,6)) end as actual_value,
        case
            when au.unit is not null then au.canonical_unit
            when m.am.value <> '' and m.am.unit = '' then coalesce(tu.canonical_unit, nullif(m.tm.unit, ''))
        end as actual_unit,
        coalesce(au.dimension, case when m.am.unit = '' then tu.dimension end) as actual_dimension,
        coalesce(au.base_factor, case when m.am.unit = '' then tu.base_factor end) as actual_factor
    from chosen as m
    left join ref.units as tu on tu.unit = nullif(m.tm.unit, '')
    left join ref.units as au on au.unit = nullif(m.am.unit, '')
    semi join ref.department_years as d on d.department_code = m.department_code and d.fiscal_year = m.fiscal_year
)

select
    department_code,
    fiscal_year,
    indicator_no,
    part_no,
    target_kind,
    target_value,
    target_unit,
    actual_value,
    actual_unit,
    case
        when not (target_kind = 'quantitative' and actual_value is not null and target_value is not null
                  and target_value <> 0
                  and (actual_dimension = target_dimension or (actual_dimension is null and actual_unit = target_unit)))
            then null
        when lower_is_better then exact_ratio(target_value * target_factor, actual_value * actual_factor)
        else exact_ratio(actual_value * coalesce(actual_factor, 1), target_value * coalesce(target_factor, 1))
    end as completion_rate
from valued;

-- ----------------------------------------------------------------------------------------------------------
-- department_scores under rule_sets/pefa_outturn.yml
--   PI-1 (50): outturn_ratio = actual / initial budget of department_execution; rating on |x - 1| <= 0.05 / 0.10
--              / 0.15 (A / B / C) met in at least 2 of the 3 years ending with the scored year, else D;
--   PI-2 (50): composition_variance over the project_execution lines (only when every line has an initial
--              budget and their total is positive); rating on x < 0.05 / 0.10 / 0.15, same window;
--   fewer than 2 known years in the window: NR, no points. Shares A 1 / B 0.75 / C 0.5 / D 0.25.
--   total = sum of the rated items (NULL when neither is rated); grade bands A [87.5,100] B [62.5,87.5)
--   C [37.5,62.5) D [0,37.5), only when both items are rated (a total with an unscored item has no
--   grade); rank_in_year 1224-style over the totals of the year (all bench departments are synthetic).

create or replace table ref.department_scores as
with composition as (
    select department_code, fiscal_year, count(*) as line_count, count(initial_budget) as lines_with_initial,
           sum(initial_budget) as initial_total, sum(actual_spend) as actual_total
    from ref.project_execution
    group by all
),

deviations as (
    select
        p.department_code,
        p.fiscal_year,
        sum(abs(p.actual_spend * c.initial_total - p.initial_budget * c.actual_total)) as scaled_deviation,
        max(c.initial_total) * max(c.actual_total) as scaled_total
    from ref.project_execution as p
    join composition as c using (department_code, fiscal_year)
    where c.lines_with_initial = c.line_count and c.initial_total > 0
    group by all
),

figures as (
    select
        d.department_code,
        d.fiscal_year,
        exact_ratio(d.actual_spend, d.initial_budget) as outturn_ratio,
        exact_ratio(v.scaled_deviation, v.scaled_total) as composition_variance
    from ref.department_execution as d
    left join deviations as v using (department_code, fiscal_year)
),

windows as (
    select
        d.department_code,
        d.fiscal_year,
        count(f.outturn_ratio) as pi1_known,
        count(*) filter (where abs(f.outturn_ratio - 1) <= 0.05) as pi1_a,
        count(*) filter (where abs(f.outturn_ratio - 1) <= 0.10) as pi1_b,
        count(*) filter (where abs(f.outturn_ratio - 1) <= 0.15) as pi1_c,
        count(f.composition_variance) as pi2_known,
        count(*) filter (where f.composition_variance < 0.05) as pi2_a,
        count(*) filter (where f.composition_variance < 0.10) as pi2_b,
        count(*) filter (where f.composition_variance < 0.15) as pi2_c
    from ref.department_execution as d
    left join figures as f
        on f.department_code = d.department_code and f.fiscal_year between d.fiscal_year - 2 and d.fiscal_year
    group by all
),

items as (
    select
        department_code,
        fiscal_year,
        case when pi1_known < 2 then null when pi1_a >= 2 then 50 when pi1_b >= 2 then 37.5 when pi1_c >= 2 then 25
             else 12.5 end::decimal(14,4) as score_pi1,
        case when pi2_known < 2 then null when pi2_a >= 2 then 50 when pi2_b >= 2 then 37.5 when pi2_c >= 2 then 25
             else 12.5 end::decimal(14,4) as score_pi2
    from windows
),

totals as (
    select
        *,
        case when score_pi1 is null and score_pi2 is null then null
             else coalesce(score_pi1, 0) + coalesce(score_pi2, 0) end::decimal(14,4) as total_score
    from items
)

select
    department_code,
    fiscal_year,
    'pefa_outturn' as rule_set,
    score_pi1,
    score_pi2,
    total_score,
    case when score_pi1 is null or score_pi2 is null then null
         when total_score >= 87.5 then 'A' when total_score >= 62.5 then 'B' when total_score >= 37.5 then 'C'
         when total_score >= 0 then 'D' end as grade,
    case when total_score is not null
        then rank() over (partition by fiscal_year, total_score is null order by total_score desc) end::integer
        as rank_in_year
from totals;
