"""Exports of recorded runs to other tools (MLflow), built from the run record only.

``run_payload`` turns a ``jupyter_ext.run/1`` record into what an experiment tracker
stores (parameters, tags, artifact files) without I/O; ``run_findings`` reruns the
hygiene rules over a run's executions; ``mlflow_export`` talks to MLflow.
"""
