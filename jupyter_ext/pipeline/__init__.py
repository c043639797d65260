"""Notebooks as pipeline steps: typed parameters, the parameters cell, specs and runs.

Everything here reads notebooks as files; nothing imports papermill or starts a kernel
until a step actually has to run, so checking parameters and skipping unchanged steps
stay cheap.
"""
