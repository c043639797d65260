"""Pure analysis of cell code: names read and written, lineage, hygiene rules."""
