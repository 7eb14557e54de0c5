-- Typed and normalised budget_summary: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('budget_summary') }}
