-- Typed and normalised staffing: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('staffing') }}
