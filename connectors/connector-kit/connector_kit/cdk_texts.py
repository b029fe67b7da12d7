"""The CDK's own words that the kit recognises, where the CDK offers no structured field to read instead.

Each one is pinned in `unit_tests/test_cdk_pins.py` through the real CDK component that writes it, so a CDK release
that rewords one fails a test there, never a sync. If one did change unnoticed, the cost stays small: a retry line
or a start-up line printed once too often, a summary repeated in the final TRACE, a `Retries used up` left in the
CDK's words.
"""

from __future__ import annotations

from airbyte_cdk.utils.traced_exception import AirbyteTracedException

# The INFO line of the CDK's retry loop before each wait on a UserDefinedBackoffException. It says "Rate limit
# exceeded" for every retried status, so the entry point drops it: backoff.RetryWaits logs each wait with its reason.
RETRY_LOG_PREFIX = "UserDefinedBackoffException:"

# Start-up lines of the CDK's entry point that tell a user nothing (the memory monitor's thresholds).
STARTUP_NOISE = ("MemoryMonitor instantiated",)

# The `internal_message` of the exception that closes a concurrent read after stream failures. Its message only
# repeats the streams' own errors (as Python reprs), so the entry point leaves it out of the final TRACE.
READ_FAILURE_SUMMARY = "Concurrent read failure"

# What the CDK's HttpClient puts before the error handler's own message once a call's retries are used up.
RETRIES_EXHAUSTED_PREFIX = "Exhausted available request attempts. Please see logs for more details. Exception: "


def is_read_failure_summary(error: BaseException) -> bool:
    """The CDK's closing exception after stream failures (or one raised the same way, as source-protime does)."""
    return isinstance(error, AirbyteTracedException) and error.internal_message == READ_FAILURE_SUMMARY
