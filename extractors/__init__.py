"""planwh: extractors."""
