"""The ``jupyter-ext`` command line (thin adapters over the package)."""
