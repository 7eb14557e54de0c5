-- Typed and normalised three_public: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('three_public') }}
