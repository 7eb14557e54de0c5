-- Amounts implausible by orders of magnitude for their context: a budget line whose actual is
-- {{ var('unit_implausible_ratio') }} times larger or smaller than its budget (a unit dropped or mistyped, 元 for
-- 万元), and an indicator that restates a dollar amount in yuan (即人民币...) at an exchange rate
-- outside [{{ var('cny_per_usd_min') }}, {{ var('cny_per_usd_max') }}] yuan per dollar.
with lines as (
    select department_code, fiscal_year, _source_file as source_file, _source_row as source_row,
        case when actual_spend > final_budget then 'actual_spend' else 'final_budget' end as source_column,
        project_name as subject,
        {{ show('final_budget') }} || ' / ' || {{ show('actual_spend') }} as stated_value,
        {{ decimal_text('cast(execution_rate as decimal(24,4))') }} as computed_value,
        project_name || '：最终预算' || {{ show('final_budget') }} || '万元与决算金额' || {{ show('actual_spend') }}
            || '万元相差两个数量级以上，疑为单位错误（元/万元）' as message_zh,
        project_name || ': final budget ' || {{ show('final_budget') }} || ' and actual ' || {{ show('actual_spend') }}
            || ' (万元) differ by orders of magnitude: a unit error (元 for 万元)?' as message_en
    from {{ ref('int_budget_lines__execution') }}
    where final_budget > 0 and actual_spend > 0
        and (actual_spend >= final_budget * {{ var('unit_implausible_ratio') }}
             or final_budget >= actual_spend * {{ var('unit_implausible_ratio') }})
),

restated as (
    select
        i.*,
        {{ regexp_groups(normalize_text('i.actual_text'), '([0-9][0-9,]*(?:\\.[0-9]+)?)\\s*(亿美元|万美元|美元)',
            ['value', 'unit']) }} as usd,
        {{ regexp_groups(normalize_text('i.actual_text'), '人民币\\s*([0-9][0-9,]*(?:\\.[0-9]+)?)\\s*(亿元|万元|元)',
            ['value', 'unit']) }} as cny
    from {{ ref('int_indicators__completion') }} as i
    where contains(i.actual_text, '人民币')
),

currencies as (
    select
        r.*,
        cast(replace(r.usd.value, ',', '') as decimal(24,6)) * u.base_factor as usd_base,
        cast(replace(r.cny.value, ',', '') as decimal(24,6)) * c.base_factor as cny_base
    from restated as r
    join {{ ref('units') }} as u on u.unit = r.usd.unit
    join {{ ref('units') }} as c on c.unit = r.cny.unit
    where r.usd.value <> '' and r.cny.value <> ''
),

indicators as (
    select department_code, fiscal_year, _source_file as source_file, _source_row as source_row,
        'actual_text' as source_column,
        indicator_name as subject,
        usd.value || usd.unit || ' = 人民币' || cny.value || cny.unit as stated_value,
        {{ decimal_text('cast(cny_base / usd_base as decimal(24,10))') }} || ' 元/美元' as computed_value,
        indicator_name || '：' || usd.value || usd.unit || '折合人民币' || cny.value || cny.unit || '，隐含汇率'
            || {{ decimal_text('cast(cny_base / usd_base as decimal(24,10))') }} || '元/美元，不合理，疑为单位遗漏' as message_zh,
        indicator_name || ': ' || usd.value || usd.unit || ' restated as ' || cny.value || cny.unit || ' implies '
            || {{ decimal_text('cast(cny_base / usd_base as decimal(24,10))') }}
            || ' yuan per dollar: a unit dropped or mistyped' as message_en
    from currencies
    where usd_base > 0
        and (cny_base < usd_base * {{ var('cny_per_usd_min') }} or cny_base > usd_base * {{ var('cny_per_usd_max') }})
)

select 'unit_implausible' as check_name, 'error' as severity, * from lines
union all
select 'unit_implausible', 'error', * from indicators
