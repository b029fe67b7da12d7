"""What the declarative YAML cannot say about Plutio by itself: skip/limit paging that a server cap cannot cut short.

(The shared token, the hourly call budget, the answers' shapes, errors, retries and the incremental window come
from connector_kit, like in every connector.)

Plutio documents no largest `limit`. A page shorter than the `limit` asked for is either the end of the collection
or a server cap of that length; only asking for what follows tells them apart. So a short page ends a read only
once the sync knows the server's cap, which it learns once and shares across its streams (`ServedPages`):
- a full page (as long as `page_size`) proves there is no cap below it: from then on a short page is the last;
- a page shorter than one the server has already served cannot be capped: it is the last;
- a page followed by more records proves the cap (logged once, with the `page_size` that spares the probe).
A short page that none of these decide is *undecided*. The sync's first undecided page costs its one probe: the
same resource without its `q` filter, `limit` = `page_size`, past the page. The unfiltered collection is usually
larger than an incremental sync's changes, so one call settles the sync (a full answer) or at least this page (an
answer longer than it; or none: the collection holds no more). Pages that arrive while the probe is out wait for
its answer. A page still undecided after that reads on: its next page is the proof, and costs a call only when the
stream really ends there (a read with other parameters, comments per task, reads on rather than probe: the probe
would drop them). docs.md ("Performance considerations") says when a sync can spend more than the one probe.
"""

import logging
import threading
from dataclasses import InitVar, dataclass, field
from enum import Enum
from typing import Any, ClassVar, Mapping, Optional
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.types import Config, Record
from connector_kit.contract import parsed_body

logger = logging.getLogger("airbyte")

# The parameters a read may have for the probe (its resource unfiltered) to tell about it: paging, and `q`, which
# only narrows what the unfiltered collection holds.
PROBE_KEEPS_MEANING = {"skip", "limit", "q"}


class Page(Enum):
    LAST = "last"
    MORE = "more"
    UNDECIDED = "undecided"


class ServedPages:
    """What one sync has learned about the pages its server serves, for one `limit` (thread-safe).

    One object per (server, limit) in the process; `forget()` starts a sync without any (SourcePlutio calls it at
    the start of each command; a new process starts empty anyway)."""

    _known: ClassVar[dict[tuple[str, int], "ServedPages"]] = {}
    _known_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.full = False  # a page of `limit` records was served: no cap below it
        self.cap: Optional[int] = None  # a cap below `limit`, proven: a page this long was followed by more records
        self.longest = 0  # the longest page served so far (no cap below it either)
        self.probe_spent = False
        self.probing = False
        self.condition = threading.Condition()
        self._reading_on: dict[str, tuple[int, int]] = {}  # read -> (skip of its next page, length of the undecided one)
        self._logged = False

    @classmethod
    def of(cls, server: str, limit: int) -> "ServedPages":
        with cls._known_lock:
            return cls._known.setdefault((server, limit), cls(limit))

    @classmethod
    def forget(cls) -> None:
        with cls._known_lock:
            cls._known.clear()

    # ---- what a page says (all under `condition`) ----------------------------------------------------------------
    def served(self, read: str, skip: int, received: int) -> Page:
        """Record a page of `received` records at `skip` of `read`, and say whether it is the last one."""
        with self.condition:
            went_on = self._reading_on.pop(read, None)
            if went_on is not None and went_on[0] == skip and received and not self.full:
                self._proven_cap(went_on[1])  # the undecided page was followed by more: it was capped
            if received >= self.limit:
                self._proven_full()
                return Page.MORE
            if received == 0:
                return Page.LAST
            longest_before, self.longest = self.longest, max(self.longest, received)
            if self.cap is not None and received > self.cap:
                self.cap = None  # a longer page after all: records moved under the proof; decide afresh
            return self.decide(received, longest_before)

    def decide(self, received: int, longest: Optional[int] = None) -> Page:
        """What is known of a short page of `received` records (longest: the longest page served before it)."""
        longest = self.longest if longest is None else longest
        if self.full:
            return Page.LAST
        if self.cap is not None:
            return Page.MORE if received >= self.cap else Page.LAST
        return Page.LAST if received < longest else Page.UNDECIDED

    def probe_answered(self, received: int) -> None:
        """The probe's answer: `received` records of the unfiltered collection past the undecided page."""
        if received >= self.limit:
            self._proven_full()
        self.longest = max(self.longest, received)

    def reading_on(self, read: str, next_skip: int, received: int) -> None:
        with self.condition:
            self._reading_on[read] = (next_skip, received)

    def _proven_full(self) -> None:
        self.full, self.cap = True, None
        if not self._logged:
            self._logged = True
            logger.info(f"Plutio serves {self.limit} records per call (`page_size`) in full: a shorter page is the "
                        "last one of its stream.")

    def _proven_cap(self, cap: int) -> None:
        self.cap = cap
        if not self._logged:
            self._logged = True
            logger.warning(f"Plutio serves at most {cap} records per call although `page_size` is {self.limit}: "
                           f"reading on in pages of {cap}. Set `page_size` to {cap} to spare the probe call this "
                           "costs each sync.")


@dataclass
class SkipLimitPagination(PaginationStrategy):
    """`skip` grows by the records received; a page ends the read only when it is known to be the last one.

    Stateless per read (the next `skip` is the page's own plus its length); what the sync learns about the server is
    shared through `ServedPages` (see the module's docstring). `probe_requester` is the manifest's requester, used
    for the sync's one probe call (paced, signed, checked and retried like every call).
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config = field(default_factory=dict)
    page_size: Any = 100
    probe_requester: Optional[Any] = None

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._limit = int(InterpolatedString.create(str(self.page_size), parameters=parameters).eval(self.config))
        self._server = str(self.config.get("base_url") or "")

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(self, response: requests.Response, last_page_size: int, last_record: Optional[Record],
                        last_page_token_value: Optional[Any], page_size_override: Optional[int] = None) -> Optional[Any]:
        received = len(parsed_body(response))  # a JSON array: the shape was checked before any record was read
        skip = int(last_page_token_value or 0)
        pages = ServedPages.of(self._server, page_size_override or self._limit)
        read = _read_of(response)
        verdict = pages.served(read, skip, received)
        if verdict == Page.UNDECIDED:
            verdict = self._settle(pages, response, skip + received, received)
        if verdict == Page.LAST:
            return None
        if verdict == Page.UNDECIDED:  # read on: the next page tells (and proves the cap if it holds records)
            pages.reading_on(read, skip + received, received)
        return skip + received

    def _settle(self, pages: ServedPages, response: requests.Response, next_skip: int, received: int) -> Page:
        """Wait for a probe in flight, or spend the sync's one probe; say what is then known of the page."""
        with pages.condition:
            while pages.probing:
                pages.condition.wait()
            verdict = pages.decide(received)
            asked = {key for key, _ in parse_qsl(urlsplit(response.request.url or "").query)}
            probe = (verdict == Page.UNDECIDED and not pages.probe_spent and self.probe_requester is not None
                     and asked <= PROBE_KEEPS_MEANING)
            if not probe:
                return verdict
            pages.probe_spent = pages.probing = True
        answered: Optional[int] = None
        try:
            answered = self._probe(pages.limit, next_skip, received)
        finally:
            with pages.condition:
                pages.probing = False
                if answered is not None:
                    pages.probe_answered(answered)
                pages.condition.notify_all()
        if answered == 0:
            return Page.LAST  # the unfiltered collection ends here, so the filtered read does too
        with pages.condition:
            return pages.decide(received)

    def _probe(self, limit: int, skip: int, received: int) -> Optional[int]:
        """How many records the unfiltered collection holds past `skip` (at most `limit`); None if the call failed."""
        logger.info(f"Plutio served a short page ({received} of {limit} records) before any sign of its page cap: one "
                    f"probe call (the collection without the filter, {limit} records past the page) to tell a cap from "
                    "the end.")
        try:
            answer = self.probe_requester.send_request(request_params={"skip": skip, "limit": limit})
        except Exception as error:  # noqa: BLE001 - the read goes on without the probe's answer: nothing is lost
            logger.info(f"The probe call failed ({type(error).__name__}); the stream reads on to its end instead.")
            return None
        return None if answer is None else len(parsed_body(answer))

    def get_page_size(self) -> Optional[int]:
        return self._limit

    def reset(self, reset_value: Optional[Any] = None) -> None:
        pass


def _read_of(response: requests.Response) -> str:
    """A read's identity: its request without `skip` (the same for each of its pages)."""
    parts = urlsplit(response.request.url or "")
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "skip")
    return f"{parts.path}?{urlencode(query)}"
