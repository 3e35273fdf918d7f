"""Readers: plan documents and statistics files to records and issues; reference data."""
