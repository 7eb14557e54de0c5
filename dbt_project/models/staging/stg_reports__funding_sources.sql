-- Typed and normalised funding_sources: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('funding_sources') }}
