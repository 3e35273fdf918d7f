"""Assets by domain: reference, plans, stats, warehouse, quality."""
