"""Parameter sweeps: one recorded papermill run per point of a grid, on any executor.

``grid`` reads and checks the grid file (pure), ``collect`` fetches chosen final values
from the kernel, ``point`` runs one point (in a worker process), ``runner`` drives the
points through a ``concurrent.futures.Executor`` (local processes or Dask), ``summary``
renders the results. Nothing here is imported by ``import jupyter_ext``.
"""
