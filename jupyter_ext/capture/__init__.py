"""The IPython extension: hooks, hashing, environment capture, magics."""
