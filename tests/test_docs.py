"""The teaching notes name only code and tests that exist, so a rename cannot leave them stale.

docs/teaching.md and docs/conventions.md cite functions as `cnnviz.module.name` (a class's method
as `cnnviz.module.Class.method`) and tests as `tests/file.py::test_name`. Each reference is
resolved here: the longest importable module prefix is imported and the rest looked up on it; a
test is looked for as a function definition in its file's source (parsed, not imported, so a
test file with heavy fixtures costs nothing).
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ("docs/teaching.md", "docs/conventions.md")

CODE_REFERENCE = re.compile(r"`(cnnviz(?:\.\w+)+)`")
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def _text(doc: str) -> str:
    return (ROOT / doc).read_text(encoding="utf-8")


def _code_references(doc: str) -> list[str]:
    return sorted(set(CODE_REFERENCE.findall(_text(doc))))


def _test_references(doc: str) -> list[tuple[str, str]]:
    return sorted(set(TEST_REFERENCE.findall(_text(doc))))


def _resolve(dotted: str) -> object:
    """The object a dotted name stands for.

    Args:
        dotted: e.g. "cnnviz.conv.ConvSettings.output_shape".

    Returns:
        The module, function, class, attribute or constant it names.

    Raises:
        AssertionError: no prefix imports, or the rest is not an attribute path on it.
    """
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name):
                raise AssertionError(f"{dotted}: {'.'.join(parts[:cut])} has no {name!r}")
            found = getattr(found, name)
        return found
    raise AssertionError(f"{dotted}: no module of that name")


def _test_functions(path: str) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_function_exists(doc):
    references = _code_references(doc)
    assert references, f"{doc} cites no code: the pattern no longer matches how it writes names"
    missing = []
    for dotted in references:
        try:
            _resolve(dotted)
        except AssertionError as error:
            missing.append(str(error))
    assert not missing, f"{doc} cites code that does not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_cited_test_exists(doc):
    references = _test_references(doc)
    assert references, f"{doc} cites no tests: the pattern no longer matches how it writes them"
    missing = []
    for path, name in references:
        if not (ROOT / path).is_file():
            missing.append(f"{path} (no such file)")
        elif name not in _test_functions(path):
            missing.append(f"{path}::{name}")
    assert not missing, f"{doc} cites tests that do not exist: {missing}"


@pytest.mark.parametrize("doc", DOCS)
def test_every_backticked_reference_is_one_the_checks_understand(doc):
    # A reference written another way (a library file's path, a test name with a typo in its
    # form) would escape the two checks above; this keeps the doc to the forms they read, plus a
    # test file named whole, which must exist.
    text = _text(doc)
    for quoted in re.findall(r"`([^`]+)`", text):
        if quoted.startswith("tests/") and not TEST_REFERENCE.fullmatch(f"`{quoted}`"):
            assert re.fullmatch(r"tests/[\w/]+\.py", quoted), f"{doc}: unreadable test reference {quoted!r}"
            assert (ROOT / quoted).is_file(), f"{doc}: {quoted} does not exist"
        if quoted.startswith("cnnviz") and quoted.endswith(".py"):
            raise AssertionError(f"{doc}: cite {quoted!r} as a dotted name, e.g. cnnviz.conv.output_size")


def test_a_renamed_function_or_test_is_caught():
    # The checks must fail on a stale name, or they prove nothing.
    with pytest.raises(AssertionError):
        _resolve("cnnviz.conv.output_size_that_was_renamed")
    with pytest.raises(AssertionError):
        _resolve("cnnviz.no_such_module.anything")
    assert "test_lenet_sizes_28_to_28_to_14" in _test_functions("tests/test_conv.py")
    assert "test_lenet_sizes_28_to_28_to_15" not in _test_functions("tests/test_conv.py")
