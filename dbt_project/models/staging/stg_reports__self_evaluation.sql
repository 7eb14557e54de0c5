-- Typed and normalised self_evaluation: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('self_evaluation') }}
