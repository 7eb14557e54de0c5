"""Scoring department-years under rule sets described as data (rule_sets/*.yml)."""
