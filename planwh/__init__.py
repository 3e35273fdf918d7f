"""planwh: planwh."""
