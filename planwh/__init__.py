"""The planwh command line: run, extract, explain, check, create-analyst-role."""
