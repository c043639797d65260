"""Notebook to importable module: ``jupyter-ext to-module``.

A notebook's cells become a module whose import runs nothing but imports and
definitions, with the notebook's remaining top-level code in ``run(**parameters)``,
and a pytest file that proves the module computes what the notebook computed, by
comparing the recorder's content digests of the final values.

Layout, pure first: :mod:`.magics` (IPython syntax: what can be kept, what must be
reported), :mod:`.units` (a cell's top-level statements with their names),
:mod:`.plan` (where each statement goes), :mod:`.render_module` and
:mod:`.render_test` (the generated text), :mod:`.expected` (digests from recorded
runs), then the plumbing: :mod:`.pairing` (jupytext) and :mod:`.export` (the whole
conversion, as the CLI runs it).
"""
