"""planwh: warehouse."""
