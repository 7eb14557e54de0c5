-- Typed and normalised department_profile: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('department_profile') }}
