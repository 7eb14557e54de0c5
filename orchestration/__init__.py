"""Dagster orchestration of the budget-performance warehouse."""
