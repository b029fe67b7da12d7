"""The pipeline file's `schedule`: a Quartz cron expression in UTC, as Airbyte's connections take it, checked before
`deploy` makes any call. The local runner ignores it (cron `airbyte-pipeline run` instead, see the README).

Quartz, not Unix cron: seconds come first, then minutes, hours, day of month, month, day of week and an optional
year; exactly one of day-of-month and day-of-week is `?`. Our own check, because no library in the lock reads Quartz
(croniter and its kin read Unix cron: five fields, no `?`, Sunday = 0 where Quartz says 1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

MONTHS = "JAN FEB MAR APR MAY JUN JUL AUG SEP OCT NOV DEC".split()
DAYS = "SUN MON TUE WED THU FRI SAT".split()


@dataclass(frozen=True)
class QuartzField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # month or day names, counted from `low`
    question: bool = False  # `?` allowed (day of month, day of week)
    extra: str = ""  # a regex of the field's own special forms (L, W, #)


FIELDS = (
    QuartzField("seconds", 0, 59),
    QuartzField("minutes", 0, 59),
    QuartzField("hours", 0, 23),
    QuartzField("day of month", 1, 31, question=True, extra=r"L(-\d{1,2})?|LW|\d{1,2}W"),
    QuartzField("month", 1, 12, tuple(MONTHS)),
    QuartzField("day of week", 1, 7, tuple(DAYS), question=True, extra=r"[1-7]L|[1-7]#[1-5]|L"),
    QuartzField("year", 1970, 2099),
)


def quartz_problem(expression: str) -> Optional[str]:
    """Why `expression` is not a Quartz cron expression, or None when it is one."""
    parts = expression.split()
    if len(parts) not in (6, 7):
        hint = " (Unix cron has 5: put the seconds first, e.g. '0 0 6 * * ?')" if len(parts) == 5 else ""
        return f"a Quartz cron expression has 6 or 7 fields, seconds first; this one has {len(parts)}{hint}"
    for text, field in zip(parts, FIELDS):
        problem = _field_problem(text.upper(), field)
        if problem:
            return f"{field.name} '{text}': {problem}"
    if (parts[3] == "?") == (parts[5] == "?"):
        return "exactly one of day of month and day of week must be '?' (e.g. '0 0 6 * * ?' or '0 0 6 ? * MON')"
    return None


def more_than_hourly(expression: str) -> bool:
    """True when the expression fires more than once in some hour (seconds or minutes name more than one value):
    Airbyte Cloud refuses such schedules."""
    seconds, minutes = expression.split()[:2]
    return not (seconds.isdigit() and minutes.isdigit())


def _field_problem(text: str, field: QuartzField) -> Optional[str]:
    for item in text.split(","):
        if item == "?":
            if not field.question:
                return "'?' is only for day of month and day of week"
            if text != "?":
                return "'?' stands alone"
            continue
        if field.extra and re.fullmatch(field.extra, item):
            continue
        base, _, step = item.partition("/")
        if step and not (step.isdigit() and int(step) >= 1):
            return f"the step '/{step}' is not a positive number"
        if base == "*":
            continue
        low, _, high = base.partition("-")
        for value in (low, high) if high else (low,):
            number = _number(value, field)
            if number is None:
                return f"'{value}' is not a {field.name} value ({field.low}-{field.high}" + (
                    f" or {field.names[0]}-{field.names[-1]})" if field.names else ")")
    return None


def _number(value: str, field: QuartzField) -> Optional[int]:
    if value in field.names:
        return field.low + field.names.index(value)
    if value.isdigit() and field.low <= int(value) <= field.high:
        return int(value)
    return None
