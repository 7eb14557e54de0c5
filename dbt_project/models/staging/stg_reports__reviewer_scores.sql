-- Typed reviewer scores.
{{ staged_select('reviewer_scores') }}
