"""YAML as the editions write it: block style, keys in their order, no anchors, multi-line strings as `|` blocks
(and, with `compact_lists`, a short list of numbers or words on one line: a list of status codes stays readable)."""

from __future__ import annotations

import re
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # no &anchors / *aliases in the output
        return True


class _CompactDumper(_Dumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value.rstrip("\n") and not re.search(r"[ \t]\n|[ \t]$", value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list) -> yaml.Node:
    short = bool(value) and all(
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and re.fullmatch(r"[\w.-]{1,40}", v))
        for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=short or None)


_Dumper.add_representer(str, _represent_str)
_CompactDumper.add_representer(list, _represent_list)


def dump(document: Any, header: list[str] | None = None, compact_lists: bool = False) -> str:
    """The YAML text of `document`, after `header` lines written as comments."""
    comments = "".join(f"# {line}".rstrip() + "\n" for line in header or [])
    return comments + yaml.dump(document, Dumper=_CompactDumper if compact_lists else _Dumper, sort_keys=False,
                                allow_unicode=True, width=120, default_flow_style=False)
