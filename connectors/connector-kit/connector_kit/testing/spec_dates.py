"""The date fields of a connector's spec, for the tests that give each one a date that cannot exist."""

from connector_kit.config_check import with_date_formats
from connector_kit.spec import packaged_spec_document

# A value of each date format that has the right shape but names no real day.
IMPOSSIBLE = {"date": "2025-02-30", "date-time": "2024-13-45T10:00:00Z"}


def date_fields(package: str) -> list[tuple[str, str]]:
    """(field, format) of every date field of `package`'s spec, as the config check sees them (a pattern alone
    counts), so a new date field is tested without a new test."""
    spec = with_date_formats(packaged_spec_document(package)["connectionSpecification"])
    return sorted((name, field["format"]) for name, field in spec["properties"].items() if field.get("format") in IMPOSSIBLE)
