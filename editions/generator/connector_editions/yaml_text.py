"""YAML as the editions write it: block style, keys in their order, no anchors, multi-line strings as `|` blocks."""

from __future__ import annotations

import re
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &anchors / *aliases in the output
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value.rstrip("\n") and not re.search(r"[ \t]\n|[ \t]$", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def dump(document: Any, header: list[str] | None = None) -> str:
    """The YAML text of `document`, after `header` lines written as comments."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header or [])
    return comments + yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=120,
                                default_flow_style=False)
