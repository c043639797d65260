"""Headless execution: running notebooks with recording on."""
