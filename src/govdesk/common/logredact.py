"""No log line carries an ID or phone number in clear: a filter on every handler of the
project's logging configuration (settings.LOGGING) masks them in the message, its arguments
and any traceback, whoever logs (govdesk, Django's request logger, the development server)."""

from __future__ import annotations

import logging

from govdesk.common.idnumbers import redact_numbers


class RedactNumbers(logging.Filter):
    """Mask ID-like and phone-like numbers (``idnumbers.redact_numbers``) in a record before
    any handler formats it. The record is kept, never dropped."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_numbers(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_numbers(record.stack_info)
        return True
