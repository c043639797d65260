"""The expression walker: loads, stores, calls, short-circuits, comprehensions, lambdas.

Expressions nest far deeper than statements can (``1+1+...+1``, long attribute chains), so
they are walked with an explicit stack of operations, never by recursion: any depth the
parser accepts is analysed without touching the C stack.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import Any

from .dynamic import SHELL_NAMESPACE_ATTRS, DynamicCalls, is_main_module
from .helpers import MUTATING_METHODS, argument_bases, base_name, target_names
from .scope import COMP, FUNCTION, MODULE, NOW, Scope, param_names, scope_bindings

# Expression walker operations (an explicit stack: AST depth never touches the C stack).
VISIT, TARGET, DELETE, WALRUS, ENTER, EXIT = range(6)
Op = tuple[int, Any, Scope]


class ExpressionWalker(DynamicCalls):
    """Walks expressions (and assignment/deletion targets) in evaluation order."""

    def _expr(self, node: ast.expr, scope: Scope) -> None:
        self._run([(VISIT, node, scope)])

    def _target(self, node: ast.expr, scope: Scope) -> None:
        self._run([(TARGET, node, scope)])

    def _run(self, stack: list[Op]) -> None:
        """Walk expressions with an explicit stack (operations in reverse order), so that
        ``1+1+...+1`` or ``a.b.c...`` of any depth costs no recursion."""
        push = stack.append
        pop = stack.pop
        module = self.module
        reads = self.reads
        while stack:
            op, node, scope = pop()
            if op == VISIT:
                kind = type(node)
                if kind is ast.Name:
                    if scope is module:  # the common case, as _load() resolves it
                        flow = module.flow
                        if flow is not None and node.id not in flow.bound:
                            reads.add(node.id)
                    else:
                        self._load(node.id, scope)
                elif kind is ast.Constant:
                    continue
                elif kind is ast.Attribute:
                    if node.attr in SHELL_NAMESPACE_ATTRS:
                        self._dyn("get_ipython().user_ns")
                    push((VISIT, node.value, scope))
                elif kind is ast.Call:
                    self._x_call(node, scope, stack)
                else:
                    _EXPR_HANDLERS.get(kind, ExpressionWalker._x_children)(self, node, scope, stack)
            elif op in (TARGET, DELETE):
                self._store(op, node, scope, stack)
            elif op == WALRUS:
                self._bind(node.target.id, scope, walrus=True)
                owner = scope
                while owner.kind == COMP and owner.parent is not None:
                    owner = owner.parent
                base = base_name(node.value)
                if (
                    owner.kind == MODULE
                    and base is not None
                    and base != node.target.id
                    and self._resolve(base, scope)[0] == NOW
                ):
                    self.global_aliases.setdefault(node.target.id, set()).add(base)
            elif op == ENTER:
                self.undo.append([])
            else:  # EXIT: forget bindings made only on some paths through the region
                for owner, name in self.undo.pop():
                    if owner.flow is not None:
                        owner.flow.bound.discard(name)

    def _store(self, op: int, node: ast.expr, scope: Scope, stack: list[Op]) -> None:
        if isinstance(node, ast.Name):
            if op == TARGET:
                self._bind(node.id, scope)
            else:
                self._unbind(node.id, scope)
        elif isinstance(node, ast.Tuple | ast.List):
            for element in reversed(node.elts):
                stack.append((op, element, scope))
        elif isinstance(node, ast.Starred):
            stack.append((op, node.value, scope))
        elif isinstance(node, ast.Attribute | ast.Subscript):
            base = base_name(node)
            if base is not None:
                self._candidate(base, scope)
                self._visible_mutation(base, scope)
            if isinstance(node, ast.Attribute):
                if is_main_module(node.value):
                    self._dyn("setattr on module")
            else:
                stack.append((VISIT, node.slice, scope))
            stack.append((VISIT, node.value, scope))
        else:
            stack.append((VISIT, node, scope))

    def _x_call(self, node: ast.Call, scope: Scope, stack: list[Op]) -> None:
        func = node.func
        ops: list[Op] = []
        if isinstance(func, ast.Name):
            if self._load(func.id, scope) == NOW:
                self.calls.add(func.id)
            self._dynamic_builtin(func.id, node, scope)
        else:
            if isinstance(func, ast.Attribute):
                base = base_name(func.value)
                if base is not None:
                    self._candidate(base, scope)  # `x.append(1)`, `x.a.b()`
                    if func.attr in MUTATING_METHODS or _inplace(node):
                        self._visible_mutation(base, scope)
                self._dynamic_method(func, node, scope)
            ops.append((VISIT, func, scope))
        for arg in node.args:
            if type(arg) is ast.Constant:  # most arguments: nothing to load or hand over
                continue
            for name in argument_bases(arg):
                self._candidate(name, scope)
            ops.append((VISIT, arg, scope))
        for keyword in node.keywords:
            if type(keyword.value) is ast.Constant:  # `out=` is never a constant
                continue
            for name in argument_bases(keyword.value):
                self._candidate(name, scope)
            if keyword.arg == "out":  # numpy's `out=`: written in place
                value = keyword.value
                for target in value.elts if isinstance(value, ast.Tuple) else [value]:
                    if isinstance(target, ast.Starred):
                        target = target.value
                    self._visible_mutation(base_name(target), scope)
            ops.append((VISIT, keyword.value, scope))
        stack.extend(reversed(ops))

    # Expression handlers: push children as (VISIT, ...) in *reverse* evaluation order.

    def _x_children(self, node: Any, scope: Scope, stack: list[Op]) -> None:
        fields = _CHILD_FIELDS.get(type(node))
        if fields is None:  # rare or newer node types
            children = [c for c in ast.iter_child_nodes(node) if isinstance(c, ast.expr)]
        else:
            children = []
            for field in fields:
                value = getattr(node, field)
                if isinstance(value, list):
                    children += value
                elif value is not None:
                    children.append(value)
        for child in reversed(children):
            stack.append((VISIT, child, scope))

    def _x_boolop(self, node: ast.BoolOp, scope: Scope, stack: list[Op]) -> None:
        first, *rest = node.values
        stack.append((EXIT, None, scope))  # later operands may not be evaluated
        for value in reversed(rest):
            stack.append((VISIT, value, scope))
        stack.append((ENTER, None, scope))
        stack.append((VISIT, first, scope))

    def _x_compare(self, node: ast.Compare, scope: Scope, stack: list[Op]) -> None:
        first, *rest = node.comparators
        if rest:  # `a < b < c` short-circuits
            stack.append((EXIT, None, scope))
            for value in reversed(rest):
                stack.append((VISIT, value, scope))
            stack.append((ENTER, None, scope))
        stack.append((VISIT, first, scope))
        stack.append((VISIT, node.left, scope))

    def _x_conditional(self, node: ast.IfExp, scope: Scope, stack: list[Op]) -> None:
        for branch in (node.orelse, node.body):
            stack.append((EXIT, None, scope))
            stack.append((VISIT, branch, scope))
            stack.append((ENTER, None, scope))
        stack.append((VISIT, node.test, scope))

    def _x_dict(self, node: ast.Dict, scope: Scope, stack: list[Op]) -> None:
        for key, value in zip(reversed(node.keys), reversed(node.values), strict=True):
            stack.append((VISIT, value, scope))
            if key is not None:
                stack.append((VISIT, key, scope))

    def _x_named(self, node: ast.NamedExpr, scope: Scope, stack: list[Op]) -> None:
        stack.append((WALRUS, node, scope))
        stack.append((VISIT, node.value, scope))

    def _x_lambda(self, node: ast.Lambda, scope: Scope, stack: list[Op]) -> None:
        args = node.args
        bound, _, _ = scope_bindings([node.body])
        body = Scope(FUNCTION, scope, bound | param_names(args))
        stack.append((VISIT, node.body, body))
        for default in reversed([*args.defaults, *args.kw_defaults]):
            if default is not None:
                stack.append((VISIT, default, scope))

    def _x_comprehension(self, node: Any, scope: Scope, stack: list[Op]) -> None:
        generators: list[ast.comprehension] = node.generators
        local = Scope(COMP, scope, frozenset(target_names(g.target for g in generators)))
        ops: list[Op] = [(VISIT, generators[0].iter, scope), (ENTER, None, scope)]
        for i, generator in enumerate(generators):
            outer = scope if i == 0 else local  # the first iterable is evaluated outside
            if i:
                ops.append((VISIT, generator.iter, local))
            ops.append((TARGET, generator.target, local))
            ops.extend((VISIT, condition, local) for condition in generator.ifs)
            base = base_name(generator.iter)
            if base is not None:
                for name in target_names([generator.target]):
                    local.aliases.setdefault(name, []).append((base, outer))
        if isinstance(node, ast.DictComp):
            ops += [(VISIT, node.key, local), (VISIT, node.value, local)]
        else:
            ops.append((VISIT, node.elt, local))
        ops.append((EXIT, None, scope))
        stack.extend(reversed(ops))


# Sub-expressions in evaluation order, for the node types that need nothing special.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    ast.BinOp: ("left", "right"),
    ast.UnaryOp: ("operand",),
    ast.Subscript: ("value", "slice"),
    ast.Starred: ("value",),
    ast.Tuple: ("elts",),
    ast.List: ("elts",),
    ast.Set: ("elts",),
    ast.Slice: ("lower", "upper", "step"),
    ast.JoinedStr: ("values",),
    ast.FormattedValue: ("value", "format_spec"),
    ast.Await: ("value",),
    ast.Yield: ("value",),
    ast.YieldFrom: ("value",),
}

_EXPR_HANDLERS: dict[type, Callable[[ExpressionWalker, Any, Scope, list[Op]], None]] = {
    ast.BoolOp: ExpressionWalker._x_boolop,
    ast.Compare: ExpressionWalker._x_compare,
    ast.IfExp: ExpressionWalker._x_conditional,
    ast.Dict: ExpressionWalker._x_dict,
    ast.NamedExpr: ExpressionWalker._x_named,
    ast.Lambda: ExpressionWalker._x_lambda,
    ast.ListComp: ExpressionWalker._x_comprehension,
    ast.SetComp: ExpressionWalker._x_comprehension,
    ast.GeneratorExp: ExpressionWalker._x_comprehension,
    ast.DictComp: ExpressionWalker._x_comprehension,
}


def _inplace(call: ast.Call) -> bool:
    """``obj.method(..., inplace=True)``: pandas' spelling of "change the receiver"."""
    return bool(call.keywords) and any(
        k.arg == "inplace" and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )
