"""A connector docs page read as Markdown: its headings, its sections by `##` heading, the tables and links in
them (text inside fenced code blocks is not Markdown and is left out)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@dataclass(frozen=True)
class DocsPage:
    path: Path

    @property
    def text(self) -> str:
        return self.path.read_text()

    def prose_lines(self) -> list[str]:
        lines, fenced = [], False
        for line in self.text.splitlines():
            if line.startswith("```"):
                fenced = not fenced
            elif not fenced:
                lines.append(line)
        return lines

    def headings(self, level: int) -> list[str]:
        marker = "#" * level + " "
        return [line[len(marker):].strip() for line in self.prose_lines() if line.startswith(marker)]

    def section(self, heading: str) -> str:
        """The text under `## heading`, up to the next `##` heading (its `###` subsections included)."""
        out, inside = [], False
        for line in self.prose_lines():
            if line.startswith("## "):
                inside = line[3:].strip() == heading
            elif inside:
                out.append(line)
        return "\n".join(out)

    def links(self) -> list[str]:
        return [target for line in self.prose_lines() for target in LINK.findall(line)]

    def anchors(self) -> set[str]:
        return {github_anchor(h) for level in (1, 2, 3, 4) for h in self.headings(level)}


def table_rows(section: str) -> list[list[str]]:
    """The cells of each row of the first Markdown table in a section (header first, separator left out)."""
    rows, started = [], False
    for line in section.splitlines():
        if line.startswith("|"):
            started = True
            cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            if not all(re.fullmatch(r":?-+:?", cell) for cell in cells):
                rows.append(cells)
        elif started:
            break
    return rows


def link_text(cell: str) -> str:
    """A table cell without Markdown link and code marks: `[Full Refresh](url)` -> `Full Refresh`."""
    return re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", cell).strip("` ")
