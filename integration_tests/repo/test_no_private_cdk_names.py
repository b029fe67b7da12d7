"""No name with a leading underscore from the CDK or PyAirbyte in product code (the connectors' packages, the kit, the
pipeline, the sandbox; not tests): such a name is no promise, and a release may change it without a word. Where
the kit relies on a CDK behaviour, it goes through a public name and a test pins the behaviour (test_cdk_pins.py).

What counts as a private name from `airbyte_cdk` or `airbyte` (PyAirbyte; `airbyte_protocol` too):
- in any text of the product folders (`git grep`): a dotted path into one of them with a `_name` part, such as
  `airbyte._util` or `airbyte_cdk.sources.x._Private` (in code, strings or a manifest's `class_name`);
- an import of a `_name` from them, or of a module with a `_name` part;
- an attribute `_name` reached from a name imported from them (`AirbyteEntrypoint._emit_queued_messages`);
- in a class whose ancestors include one of theirs: a method or attribute `_name` that one of those ancestors
  defines or uses (overriding `Destination._parse_input_stream`, reading `self._http_client`);
- on any other object, an attribute `_name` (or `getattr(x, "_name")`) that the CDK or PyAirbyte define and our
  product code does not.
Dunder names (`__init__`) are public; so are the config keys the CDK documents with two leading underscores.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import re
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Optional

import pytest

from conftest import REPO

THEIRS = ("airbyte_cdk", "airbyte", "airbyte_protocol")
# Config keys the CDK documents (declarative manifests and custom code passed in the config), not attributes.
DOCUMENTED_CONFIG_KEYS = {"__injected_declarative_manifest", "__injected_components_py",
                          "__injected_components_py_checksums"}
PRIVATE_PATH = r"\b(airbyte_cdk|airbyte|airbyte_protocol)(\.[A-Za-z0-9_]+)*\._[A-Za-z0-9]"


def private(name: str) -> bool:
    return (name.startswith("_") and name != "_" and not (name.startswith("__") and name.endswith("__"))
            and name not in DOCUMENTED_CONFIG_KEYS)


def theirs(module: Optional[str]) -> bool:
    return bool(module) and module.split(".")[0] in THEIRS


# ---- what is product code ----------------------------------------------------------------------------------------
def product_folders() -> list[str]:
    """Each connector's package (the Python package beside its pyproject.toml: connector_kit, source_pluggy, ...),
    the pipeline's, the sandbox's."""
    packages = [str(folder.relative_to(REPO)) for folder in REPO.glob("connectors/*/*")
                if folder.is_dir() and folder.name.isidentifier() and folder.name not in ("unit_tests", "__pycache__")
                and any(folder.glob("*.py"))]
    return sorted(packages) + ["pipeline/airbyte_pipeline", "sandbox/src/sandbox"]


def product_files() -> list[Path]:
    listed = subprocess.run(["git", "-C", str(REPO), "ls-files", "--", *product_folders()], capture_output=True,
                            text=True, check=True).stdout.split()
    return [REPO / path for path in listed if path.endswith(".py")]


def module_name(path: Path) -> str:
    """The dotted name a product file is imported by (connectors/x/pkg/a.py -> pkg.a; sandbox/src/sandbox -> sandbox)."""
    relative = path.relative_to(REPO).with_suffix("")
    parts = relative.parts[2:] if relative.parts[0] in ("connectors", "sandbox") else relative.parts[1:]
    return ".".join(parts if parts[-1] != "__init__" else parts[:-1])


# ---- what the CDK and PyAirbyte name privately -------------------------------------------------------------------
DEFINED = re.compile(r"(?:^|\s)(?:def|class)\s+(_\w+)|self\.(_\w+)\s*(?::[^=]*)?=[^=]|^\s*(_\w+)\s*(?::[^=]*)?=[^=]",
                     re.M)
USED_ON_SELF = re.compile(r"\bself\.(_\w+)")


def defined_names(text: str) -> set[str]:
    return {name for match in DEFINED.finditer(text) for name in match.groups() if name and private(name)}


@lru_cache(maxsize=1)
def their_private_names() -> frozenset[str]:
    names: set[str] = set()
    for package in THEIRS:
        spec = importlib.util.find_spec(package)  # found, not imported
        for root in (spec.submodule_search_locations or []) if spec else []:
            for path in Path(root).rglob("*.py"):
                names |= defined_names(path.read_text(encoding="utf-8", errors="replace"))
    return frozenset(names)


@lru_cache(maxsize=1)
def our_private_names() -> frozenset[str]:
    return frozenset(name for path in product_files() for name in defined_names(path.read_text()))


@lru_cache(maxsize=None)
def inherited_private_names(cls: type) -> frozenset[str]:
    """The `_names` that the CDK's or PyAirbyte's classes among `cls`'s ancestors define or use on self."""
    names: set[str] = set()
    for ancestor in inspect.getmro(cls):
        if not theirs(getattr(ancestor, "__module__", None)):
            continue
        names |= {name for name in vars(ancestor) if private(name)}
        try:
            names |= {name for name in USED_ON_SELF.findall(inspect.getsource(ancestor)) if private(name)}
        except (OSError, TypeError):
            pass
    return frozenset(names)


# ---- the checker --------------------------------------------------------------------------------------------------
def _resolve(dotted: str) -> Optional[type]:
    module, _, name = dotted.rpartition(".")
    try:
        value = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError):
        return None
    return value if isinstance(value, type) else None


def private_uses(source: str, module: Optional[str] = None, ours: Iterable[str] = ()) -> list[str]:
    """Each use of a private CDK or PyAirbyte name in `source` (the text of module `module`), as 'line N: why'.
    `ours`: the `_names` our own product code defines (an attribute of that name is taken to be ours)."""
    found: list[str] = []
    ours = set(ours) | defined_names(source)
    for number, line in enumerate(source.splitlines(), start=1):
        for match in re.finditer(PRIVATE_PATH, line):
            found.append(f"line {number}: private path {match.group(0)}...")
    tree = ast.parse(source)
    bound: dict[str, str] = {}  # local name -> the dotted name of theirs it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if theirs(alias.name):
                    bound[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and theirs(node.module):
            for alias in node.names:
                if private(alias.name):
                    found.append(f"line {node.lineno}: imports {alias.name} from {node.module}")
                bound[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            chain, base = [node.attr], node.value
            while isinstance(base, ast.Attribute):
                chain.append(base.attr)
                base = base.value
            root = base.id if isinstance(base, ast.Name) else None
            if root in bound:
                found.append(f"line {node.lineno}: {root}.{'.'.join(reversed(chain))} ({bound[root]})")
            elif root not in ("self", "cls") and node.attr in their_private_names() and node.attr not in ours:
                found.append(f"line {node.lineno}: .{node.attr} is the CDK's or PyAirbyte's, not ours")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr", "delattr") and len(node.args) >= 2
              and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str)):
            name = node.args[1].value
            if private(name) and name in their_private_names() and name not in ours:
                found.append(f"line {node.lineno}: {node.func.id}(..., {name!r}) is the CDK's or PyAirbyte's")
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found += _inherited_uses(node, bound, module)
    return found


def _class_of(node: ast.ClassDef, bound: dict[str, str], module: Optional[str]) -> list[type]:
    """The classes whose ancestry matters for `node`: the class itself when its module imports, else its bases
    that are names of theirs."""
    if module:
        cls = _resolve(f"{module}.{node.name}")
        if cls is not None:
            return [cls]
    bases = []
    for base in node.bases:
        dotted = ast.unparse(base)
        root, _, rest = dotted.partition(".")
        if root in bound:
            resolved = _resolve(bound[root] + (f".{rest}" if rest else ""))
            if resolved is not None:
                bases.append(resolved)
    return bases


def _inherited_uses(node: ast.ClassDef, bound: dict[str, str], module: Optional[str]) -> list[str]:
    inherited = frozenset().union(*(inherited_private_names(cls) for cls in _class_of(node, bound, module)))
    if not inherited:
        return []
    found = []
    for child in ast.walk(node):
        name = None
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) and child.name in inherited:
            name = child.name
        elif (isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name)
              and child.value.id in ("self", "cls") and child.attr in inherited):
            name = child.attr
        if name:
            found.append(f"line {child.lineno}: {node.name} touches {name}, which its CDK/PyAirbyte ancestor defines")
    return found


# ---- the checker, on planted examples -------------------------------------------------------------------------------
@pytest.mark.parametrize("planted", [
    "from airbyte_cdk.entrypoint import _init_internal_request_filter\n",
    "from airbyte._util.name_normalizers import LowerCaseNormalizer\n",
    "import airbyte._util.telemetry\n",
    "import airbyte_cdk\nx = airbyte_cdk.sources.streams.http.http_client._HttpClient\n",
    "from airbyte_cdk.entrypoint import AirbyteEntrypoint\nAirbyteEntrypoint(s)._emit_queued_messages(s)\n",
    "import airbyte as ab\nnormalizer = ab.caches.CacheBase._read_processor\n",
    "def f(requester):\n    return requester._http_client\n",
    "def f(source):\n    return getattr(source, '_emit_queued_messages')\n",
    "class_name = 'airbyte_cdk.sources.declarative.x._Private'\n",
    "from airbyte_cdk.destinations import Destination\n\nclass D(Destination):\n"
    "    def _parse_input_stream(self, stream):\n        return []\n",
    "from airbyte_cdk.entrypoint import AirbyteEntrypoint\n\nclass E(AirbyteEntrypoint):\n"
    "    def go(self):\n        return self._memory_monitor\n",
])
def test_given_a_planted_private_name_then_the_checker_finds_it(planted):
    assert private_uses(planted) != []


@pytest.mark.parametrize("clean", [
    "from airbyte_cdk.entrypoint import AirbyteEntrypoint\nAirbyteEntrypoint.parse_args(['spec'])\n",
    "from airbyte_cdk.sources import Source\n\nclass S(Source):\n    def __init__(self):\n        self._engine = None\n"
    "    def __repr__(self):\n        return 'S'\n",
    "class Mine:\n    def __init__(self):\n        self._http_client = 1\n\ndef f(m):\n    return m._http_client\n",
    "config = {'__injected_components_py': 'code'}\nkey = '__injected_declarative_manifest'\n",
    "def f(response):\n    return response.__class__\n",
])
def test_given_public_names_or_our_own_private_ones_then_the_checker_finds_nothing(clean):
    assert private_uses(clean) == []


# ---- the product ----------------------------------------------------------------------------------------------------
def test_given_the_product_code_then_no_private_name_of_the_cdk_or_pyairbyte_is_used():
    files = product_files()
    assert len(files) > 50 and any(path.name == "entrypoint.py" for path in files)
    # The classes are found, so that what their CDK ancestors hold privately is known (here: the write loop the kit
    # replaced, and what the CDK's entry point keeps for itself).
    assert "_parse_input_stream" in inherited_private_names(_resolve("destination_plecto.destination.DestinationPlecto"))
    assert "_emit_queued_messages" in inherited_private_names(_resolve("connector_kit.entrypoint.KitEntrypoint"))
    found = [f"{path.relative_to(REPO)} {finding}" for path in files
             for finding in private_uses(path.read_text(), module_name(path), our_private_names())]
    assert found == []


def test_given_the_product_folders_then_git_grep_finds_no_private_path_into_the_cdk_or_pyairbyte():
    """Every file type (manifests name classes by dotted path), not only Python."""
    grep = subprocess.run(["git", "-C", str(REPO), "grep", "-nE", PRIVATE_PATH.replace(r"\b", r"\<"), "--",
                           *product_folders()], capture_output=True, text=True)
    assert grep.returncode in (0, 1), grep.stderr  # 1: nothing found
    assert grep.stdout.splitlines() == []
