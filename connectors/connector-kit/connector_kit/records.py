"""Records out of an answer, and which of them an incremental slice emits.

`KeyExtractor` (a `CustomRecordExtractor`) takes the records at one top-level key of a JSON answer, or the
answer itself. Why not the CDK's DpathExtractor: for a plain key it walks the whole parsed body through dpath,
a quarter of a sync's CPU at 500 records a page; and it parses the body again, where the contract check
(contract.py) already did.

Which records of an incremental slice are emitted: those inside the slice's window, each once.

`SliceWindowFilter` (a `CustomRecordFilter`) keeps a record when its cursor value is inside the slice:
- after the slice start: strictly after it on a resumed sync (the CDK's bounds are inclusive and the vendors'
  filters are "greater or equal", so the record that set the state would otherwise come back on every sync),
  and from the start date inclusive on a first sync. A day-granular cursor sets `resume_inclusive`: the state
  day itself can still get records, so a resumed slice keeps its first day;
- not after the slice end (the sync's start): a record stamped in the future would move the state past records
  that are still to come;
- optionally, once by a key (`dedup_key`): skip/limit paging over a live collection shows a record twice when a
  write moves it across a page boundary. Such a repeat comes within a page or two, so only the last
  `dedup_window` keys are remembered: memory stays bounded however long the stream.

It also does the job of the CDK's client-side incremental filter, for APIs with no "updated since" filter,
because the CDK replaces any custom filter of such a stream with its own (inclusive) one. So streams declare a
plain DatetimeBasedCursor and this filter, never `is_client_side_incremental`.

A record without a readable cursor value is kept (and counted in a log line at the end of the slice's page):
dropping it would lose it silently.

Speed: cursor values in the same ISO layout as the slice bounds (what the vendors send) are compared as text,
without parsing; other layouts are parsed.
"""


import logging
import re
import threading
from collections import OrderedDict
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping, MutableMapping, Optional

import requests
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.types import StreamSlice, StreamState
from airbyte_cdk.utils.datetime_helpers import ab_datetime_parse

from connector_kit.contract import parsed_body

logger = logging.getLogger("airbyte")

_ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\d(\.\d+)?Z)?$")


@dataclass
class KeyExtractor(RecordExtractor):
    """The list (or the one object) at `key` of the answer; the answer itself when `key` is empty."""

    config: Mapping[str, Any]
    parameters: InitVar[Mapping[str, Any]]
    key: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        body = parsed_body(response)
        found = body.get(self.key) if self.key and isinstance(body, dict) else body
        if isinstance(found, list):
            return found
        # Anything else the contract check (contract.py) has already refused for a stream's records.
        return [found] if isinstance(found, dict) and found else []


def _moment(value: Any) -> Optional[datetime]:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = ab_datetime_parse(value)
    except (ValueError, TypeError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


class _Bound:
    """A slice bound, comparable with cursor values as text when they share its layout."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.moment = _moment(text)
        self.textual = bool(_ISO_UTC.match(text))

    def compare(self, value: str) -> Optional[int]:
        """-1, 0 or 1 as `value` is before, at or after the bound; None when `value` is no date."""
        if self.textual and len(value) == len(self.text) and _ISO_UTC.match(value):
            return (value > self.text) - (value < self.text)
        moment = _moment(value)
        if moment is None or self.moment is None:
            return None
        return (moment > self.moment) - (moment < self.moment)


@dataclass
class SliceWindowFilter(RecordFilter):
    cursor_field: str = ""
    start_date: str = ""  # the configured start, interpolated: a slice starting there is a first sync
    resume_inclusive: bool = False
    dedup_key: str = ""
    dedup_window: int = 10_000
    _seen: OrderedDict = field(default_factory=OrderedDict, init=False, repr=False)
    _seen_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._start_date = InterpolatedString.create(self.start_date or "", parameters=parameters)

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        if self.condition:
            records = super().filter_records(records, stream_state, stream_slice, next_page_token)
        window = self._window(stream_slice)
        unreadable = 0
        for record in records:
            if window is not None:
                value = record.get(self.cursor_field)
                start, start_inclusive, end = window
                after_start = start.compare(value) if isinstance(value, str) else None
                if after_start is None:
                    unreadable += 1
                elif after_start < 0 or (after_start == 0 and not start_inclusive):
                    continue
                elif end is not None and (end.compare(value) or 0) > 0:
                    continue
            if self.dedup_key and not self._first_time(record.get(self.dedup_key)):
                continue
            yield record
        if unreadable:
            logger.warning(f"{unreadable} record(s) without a readable `{self.cursor_field}` were kept (not filtered by "
                           "the incremental window).")

    def _window(self, stream_slice: Optional[StreamSlice]) -> Optional[tuple[_Bound, bool, Optional[_Bound]]]:
        if not self.cursor_field or not stream_slice:
            return None
        cursor_slice = getattr(stream_slice, "cursor_slice", None) or {}
        start_text = cursor_slice.get("start_time")
        if not isinstance(start_text, str) or not start_text:
            return None
        start = _Bound(start_text)
        configured = _moment(str(self._start_date.eval(self.config) or ""))
        inclusive = self.resume_inclusive or configured is None or start.moment is None or start.moment <= configured
        end_text = cursor_slice.get("end_time")
        end = _Bound(end_text) if isinstance(end_text, str) and end_text else None
        return start, inclusive, end

    def _first_time(self, key: Any) -> bool:
        if key is None:
            return True
        with self._seen_lock:
            if key in self._seen:
                return False
            self._seen[key] = None
            if len(self._seen) > self.dedup_window:
                self._seen.popitem(last=False)
            return True
