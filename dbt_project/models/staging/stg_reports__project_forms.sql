-- Typed and normalised project_forms: one row per raw row; amounts in 万元, rates as ratios.
{{ staged_select('project_forms') }}
