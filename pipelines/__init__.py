"""planwh: pipelines."""
