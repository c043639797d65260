"""An nbclient ``NotebookClient`` that identifies cells the way JupyterLab does.

nbclient (and papermill on top of it) sends bare execute requests, so the kernel
cannot tell which cell ran. JupyterLab puts the cell's nbformat id in the request's
``metadata.cellId``; this client does the same, which makes headless runs and
interactive sessions produce comparable records.
"""

from __future__ import annotations

from typing import Any

from nbclient import NotebookClient


class CellIdNotebookClient(NotebookClient):  # type: ignore[misc]
    """Sends ``metadata.cellId`` with each execute request and loads the extension."""

    _current_cell_id: str | None = None

    async def async_start_new_kernel_client(self) -> Any:
        kc = await super().async_start_new_kernel_client()
        session = kc.session
        client = self

        def execute(
            code: str,
            silent: bool = False,
            store_history: bool = True,
            user_expressions: dict[str, Any] | None = None,
            allow_stdin: bool | None = None,
            stop_on_error: bool = True,
        ) -> str:
            content = {
                "code": code,
                "silent": silent,
                "store_history": store_history,
                "user_expressions": user_expressions or {},
                "allow_stdin": kc.allow_stdin if allow_stdin is None else allow_stdin,
                "stop_on_error": stop_on_error,
            }
            cell_id = client._current_cell_id
            metadata = {"cellId": cell_id} if cell_id and not silent else {}
            msg = session.msg("execute_request", content, metadata=metadata)
            kc.shell_channel.send(msg)
            return str(msg["header"]["msg_id"])

        kc.execute = execute
        return kc

    async def async_execute_cell(
        self,
        cell: Any,
        cell_index: int,
        execution_count: int | None = None,
        store_history: bool = True,
    ) -> Any:
        cell_id = cell.get("id")
        self._current_cell_id = cell_id if isinstance(cell_id, str) else None
        try:
            return await super().async_execute_cell(
                cell, cell_index, execution_count=execution_count, store_history=store_history
            )
        finally:
            self._current_cell_id = None
