"""What the declarative YAML cannot say about Plutio by itself: skip/limit paging that a server cap cannot cut short.

(The shared token, the hourly call budget, the answers' shapes, errors, retries and the incremental window come
from connector_kit, like in every connector.)
"""

import logging
import threading
from dataclasses import InitVar, dataclass, field
from typing import Any, ClassVar, Mapping, Optional

import requests
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.types import Config, Record
from connector_kit.contract import parsed_body

logger = logging.getLogger("airbyte")

# Plutio documents no maximum `limit`. Its community clients page with limit=100 and stop at the first shorter
# page, so a page shorter than this is taken as the last one; a longer short page may be a server cap.
KNOWN_SERVED_PAGE = 100


@dataclass
class SkipLimitPagination(PaginationStrategy):
    """`skip` grows by the records received; a short page ends the read only when it really is the last one.

    A page of `limit` records is never the last. A page shorter than `limit` is the last when it is shorter than
    `KNOWN_SERVED_PAGE`, or shorter than a page already served in full (a full page of `limit` seen in this
    process proves there is no cap below it). Otherwise it may be a server cap below `limit`: the read goes on
    from where the page ended (`skip` + its length), so a capped read is complete (at worst one extra call, the
    empty page at its end), and the cap is logged once it shows on a second page. Stateless per read: the
    next `skip` is the previous one plus the page length; what was learned about the server is shared.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config = field(default_factory=dict)
    page_size: Any = 100

    _full_page_seen: ClassVar[set[int]] = set()  # limits the server served in full
    _short_lengths: ClassVar[set[int]] = set()  # lengths of possibly capped pages
    _caps_logged: ClassVar[set[int]] = set()
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._limit = int(InterpolatedString.create(str(self.page_size), parameters=parameters).eval(self.config))

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(self, response: requests.Response, last_page_size: int, last_record: Optional[Record],
                        last_page_token_value: Optional[Any], page_size_override: Optional[int] = None) -> Optional[Any]:
        received = len(parsed_body(response))  # a JSON array: the shape was checked before any record was read
        skip = int(last_page_token_value or 0) + received
        if received == 0:
            return None
        if received >= self._limit:
            with self._lock:
                self._full_page_seen.add(self._limit)
            return skip
        if received < KNOWN_SERVED_PAGE or self._limit in self._full_page_seen:
            return None  # the last page
        with self._lock:
            capped = received in self._short_lengths and received not in self._caps_logged
            self._short_lengths.add(received)
            if capped:
                self._caps_logged.add(received)
        if capped:
            logger.warning(f"Plutio serves at most {received} records per call although `page_size` is {self._limit}: "
                           f"reading on in pages of {received}. Set `page_size` to {received} to save the extra call "
                           "at the end of each stream.")
        return skip

    def get_page_size(self) -> Optional[int]:
        return self._limit

    def reset(self, reset_value: Optional[Any] = None) -> None:
        pass

    @classmethod
    def forget_server(cls) -> None:
        """Forget what was learned about the server (tests; a new process starts without it)."""
        with cls._lock:
            cls._full_page_seen.clear()
            cls._short_lengths.clear()
            cls._caps_logged.clear()
