"""planwh: expectations."""
