"""The embedded SQLite run store."""
