"""Style rules a machine can check beyond ruff: how many parameters a function takes."""

import ast

from tests.conftest import REPO_ROOT

#: Most parameters of a function, and of a numba kernel (whose arguments cannot be objects).
MAX_PARAMETERS, MAX_KERNEL_PARAMETERS = 12, 15


def _parameters(node) -> int:
    a = node.args
    names = [*a.posonlyargs, *a.args, *a.kwonlyargs]
    n = len(names) + (a.vararg is not None) + (a.kwarg is not None)
    return n - (bool(names) and names[0].arg in ("self", "cls"))


def test_no_function_takes_more_parameters_than_the_limit():
    over = []
    for path in sorted((REPO_ROOT / "thesis_lib").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            kernel = any("jit" in ast.unparse(d) for d in node.decorator_list)
            limit = MAX_KERNEL_PARAMETERS if kernel else MAX_PARAMETERS
            name = f"{path.relative_to(REPO_ROOT).as_posix()}::{node.name}"
            if _parameters(node) > limit:
                over.append(f"{name} ({_parameters(node)} > {limit})")
    assert not over, "group what travels together (book/contributing.md): " + ", ".join(over)


def test_the_count_sees_a_long_signature():
    # the walk above must be able to fail: a 13-parameter function is counted as 13
    node = ast.parse("def f(a, b, c, d, e, f, g, h, i, j, k, *, l, m): pass").body[0]
    method = ast.parse("def g(self, a, *args, **kw): pass").body[0]
    assert _parameters(node) == 13 and _parameters(method) == 3
