"""The Python scoring engine that scored the warehouse before the dbt score models
(dbt_project/models/scores/) replaced it, kept as the oracle the models are compared with
(tests/test_score_engine_comparison.py) and whose rules tests/test_scoring_rules.py documents:
rules.py (each rule), engine.py (scoring a working database's marts), publish_tables.py (the types the
score marts are written with), compare.py (scoring into the schema `oracle` and listing differences)."""
