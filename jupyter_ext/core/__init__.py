"""Typed records and identifiers shared by every layer; no I/O lives here."""
