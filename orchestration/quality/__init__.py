"""Data quality: contract validation of raw files (Great Expectations) and its findings."""
