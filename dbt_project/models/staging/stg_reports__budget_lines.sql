-- Typed and normalised budget_lines: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('budget_lines') }}
