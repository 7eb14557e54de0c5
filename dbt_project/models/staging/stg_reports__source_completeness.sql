-- Typed and normalised source_completeness: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('source_completeness') }}
