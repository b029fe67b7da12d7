"""What is wrong with a pipeline file: each problem names the file, the line and the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Problem:
    line: Optional[int]
    field: str  # dotted path, e.g. plecto.streams[0].date_field; empty for the whole file
    message: str

    def describe(self, file: str) -> str:
        where = f"{file}:{self.line}" if self.line else file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class PipelineFileError(Exception):
    """The pipeline file cannot run as written; nothing has run."""

    def __init__(self, problems: list[Problem], file: str = "") -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.field))
        self.file = file

    def in_file(self, file: str) -> "PipelineFileError":
        return PipelineFileError(self.problems, file)

    def describe(self) -> str:
        lines = [p.describe(self.file) for p in self.problems]
        noun = "problem" if len(lines) == 1 else "problems"
        return "\n".join([f"{self.file}: {len(lines)} {noun}, nothing was run:", *(f"  {line}" for line in lines)])
