"""Metrics of records, results of runs, and (later) experiments over variants and replications."""
