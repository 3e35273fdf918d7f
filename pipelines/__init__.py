"""The Dagster side (the only package importing Dagster): assets, jobs, sensor, schedule."""
