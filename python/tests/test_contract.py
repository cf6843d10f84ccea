"""The estimators built from the core's parameter tables (unfold._contract): each class's
signature, its type stub and the core's declaration agree."""

import ast
import inspect
import pathlib
import sys

import pytest

import unfold
from unfold import _core
from unfold._contract import ContractTransformer

CLASSES = [getattr(unfold, name) for name in unfold.__all__ if isinstance(getattr(unfold, name), type) and issubclass(getattr(unfold, name), ContractTransformer)]


def test_every_contract_method_has_a_class():
    assert {c.__name__ for c in CLASSES} >= {"PCA", "GaussianRandomProjection", "SparseRandomProjection"}


def _stub_init(cls):
    path = pathlib.Path(sys.modules[cls.__module__].__file__).with_suffix(".pyi")
    stub = ast.parse(path.read_text())
    node = next(n for n in stub.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
    return next(n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_stub_matches_the_generated_signature(cls):
    init = _stub_init(cls)
    stub_params = [a.arg for a in init.args.args[1:]] + [a.arg for a in init.args.kwonlyargs]
    stub_defaults = [ast.literal_eval(d) for d in init.args.defaults + init.args.kw_defaults]
    runtime = list(inspect.signature(cls.__init__).parameters.values())[1:]
    assert stub_params == [p.name for p in runtime]
    assert stub_defaults == [p.default for p in runtime]
    # The first parameter is positional-or-keyword, the others keyword-only, as scikit-learn's.
    assert runtime[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in runtime[1:])


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_stub_types_are_the_declared_types(cls):
    annotations = {a.arg: ast.unparse(a.annotation).replace("'", '"') for a in _stub_init(cls).args.args[1:] + _stub_init(cls).args.kwonlyargs}
    for spec in _core.method_specs(cls._method):
        if spec["name"] in cls._core_names:
            assert annotations[spec["name"]] == spec["type"], spec["name"]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_docstring_of_init_comes_from_the_declaration(cls):
    for spec in _core.method_specs(cls._method):
        if spec["name"] in cls._core_names:
            assert spec["help"] in cls.__init__.__doc__
