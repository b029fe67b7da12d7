"""Which registrations this connection may delete, and the words for what it kept.

The rule: nothing this connector did not write is ever deleted. Plecto keeps no writer per registration; what a
registration's answer names is its member, and a member carries the api provider of the system that created it:
the `member_api_provider` this connector sends (config field of that name), or Plecto's own for an employee made
in its UI. A registration is this connection's only when its member's api provider is the configured one. When the
answer names another provider, or none (Plecto does not document the field), the registration is kept.

So a registration written under a fixed `member` mapping (an existing employee, whose provider is not ours) can
never be proven ours: the clean-up keeps it and says so. Two connections that write into one data source need two
`member_api_provider`s to keep apart.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Mapping

SAMPLE_SIZE = 5  # external ids named in one log line


class Owner(Enum):
    OURS = "ours"
    OTHER = "another provider"
    UNKNOWN = "no provider named"


def provider_of(registration: Mapping[str, Any]) -> str | None:
    """The member api provider a registration's answer names: the POST's own key `member_api_provider`, or the
    `api_provider` of its member object (the form the sandbox emulator answers with)."""
    value = registration.get("member_api_provider")
    member = registration.get("member")
    if value is None and isinstance(member, Mapping):
        value = member.get("api_provider")
    return value if isinstance(value, str) and value else None


def owner(registration: Mapping[str, Any], provider: str) -> Owner:
    found = provider_of(registration)
    if found is None:
        return Owner.UNKNOWN
    return Owner.OURS if found == provider else Owner.OTHER


@dataclass
class Sample:
    """A count and the first few external ids: what a log line names."""

    count: int = 0
    external_ids: list[str] = field(default_factory=list)

    def add(self, external_id: Any) -> None:
        self.count += 1
        if len(self.external_ids) < SAMPLE_SIZE:
            self.external_ids.append(str(external_id))

    def named(self) -> str:
        shown = ", ".join(repr(e) for e in self.external_ids)
        hidden = self.count - len(self.external_ids)
        return shown + (f" and {hidden} more" if hidden > 0 else "")


@dataclass
class Kept:
    """Registrations not deleted because their writer is not proven to be this connection."""

    sample: Sample = field(default_factory=Sample)
    providers: Counter = field(default_factory=Counter)  # provider named (None: none) -> registrations

    @property
    def count(self) -> int:
        return self.sample.count

    def add(self, registration: Mapping[str, Any]) -> None:
        self.sample.add(registration.get("external_id"))
        self.providers[provider_of(registration)] += 1

    def why(self, provider: str) -> str:
        seen = ", ".join(f"member api provider {name!r}: {n}" if name else f"no member api provider named: {n}"
                         for name, n in self.providers.most_common(3))
        more = ", ..." if len(self.providers) > 3 else ""
        return f"not proven to be this connection's ({seen}{more}; only {provider!r} proves it)"
