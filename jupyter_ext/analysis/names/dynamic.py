"""Calls and names that make the static view incomplete: ``exec``, ``globals()``, shell
methods that run code, assignments into the ``__main__`` module.

The recorder stops trusting the static answer when ``dynamic`` is not empty and looks at
the namespace instead, so each such construct is reported, with a short reason.
"""

from __future__ import annotations

import ast

from .magics import MagicCalls
from .scope import COMP, MODULE, TYPEPARAMS, Scope

_DYNAMIC_BUILTINS = {
    "exec": "exec",
    "eval": "eval",
    "globals": "globals()",
    "locals": "locals()",
    "vars": "vars()",
    "__import__": "__import__",
    "reload": "importlib.reload",
}
# Shell attributes that hand out the user namespace itself: `get_ipython().user_ns`.
SHELL_NAMESPACE_ATTRS = frozenset({"user_ns", "user_global_ns"})
# Shell methods that run code or edit the namespace: `get_ipython().push({...})`.
_SHELL_EXEC_METHODS = frozenset(
    [
        "ex",
        "ev",
        "push",
        "del_var",
        "drop_by_id",
        "reset",
        "run_cell",
        "run_cell_async",
        "run_code",
        "run_source",
        "safe_execfile",
        "safe_execfile_ipy",
        "safe_run_module",
    ]
)


class DynamicCalls(MagicCalls):
    """Recognises dynamic builtins and shell methods at the calls the expression walker
    meets, and hands magic calls on to :class:`~.magics.MagicCalls`."""

    def _dynamic_builtin(self, name: str, node: ast.Call, scope: Scope) -> None:
        reason = _DYNAMIC_BUILTINS.get(name)
        if reason is None:
            if name in ("setattr", "delattr") and node.args and is_main_module(node.args[0]):
                self._dyn("setattr on module")
            return
        if name == "vars" and (node.args or node.keywords):
            return  # vars(obj) is obj.__dict__, not the namespace
        if name in ("locals", "vars"):
            while scope.kind in (COMP, TYPEPARAMS) and scope.parent is not None:
                scope = scope.parent
            if scope.kind != MODULE:
                return  # a function's or class body's own locals
        self._dyn(reason)

    def _dynamic_method(self, func: ast.Attribute, node: ast.Call, scope: Scope) -> None:
        attr = func.attr
        receiver = func.value
        if attr in ("run_line_magic", "run_cell_magic", "magic"):
            self._magic(attr, node, scope)
        elif isinstance(receiver, ast.Name):
            if receiver.id in ("builtins", "__builtins__") and attr in _DYNAMIC_BUILTINS:
                self._dynamic_builtin(attr, node, scope)
            elif receiver.id == "importlib" and attr == "reload":
                self._dyn("importlib.reload")
        elif attr in _SHELL_EXEC_METHODS and _is_get_ipython(receiver):
            self._dyn(f"get_ipython().{attr}")


def _is_get_ipython(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "get_ipython"
    )


def is_main_module(node: ast.expr) -> bool:
    """Expressions that denote the user's namespace as a module object:
    ``__main__``, ``sys.modules['__main__']``, ``sys.modules[__name__]``,
    ``get_ipython().user_module``."""
    if isinstance(node, ast.Name):
        return node.id == "__main__"
    if isinstance(node, ast.Attribute):
        return node.attr == "user_module"
    if isinstance(node, ast.Subscript):
        value, key = node.value, node.slice
        is_modules = (
            isinstance(value, ast.Attribute)
            and value.attr == "modules"
            and isinstance(value.value, ast.Name)
            and value.value.id == "sys"
        )
        is_main = (isinstance(key, ast.Constant) and key.value == "__main__") or (
            isinstance(key, ast.Name) and key.id == "__name__"
        )
        return is_modules and is_main
    return False
