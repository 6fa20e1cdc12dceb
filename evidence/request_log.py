"""Production logging: one JSON line per request on stderr, with its request id, and the traceback of a
server error in that same line.

RequestLog is the outermost middleware: it takes the request id (a sane incoming X-Request-ID, or a new
one), echoes it in the response, times the request and logs it when the response is ready. An exception
that Django turns into a 500 further in is announced by the got_request_exception signal; it is kept for
that request's line, so a server error is one line with everything (django.request is not printed again).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.signals import got_request_exception
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

REQUEST_ID_HEADER = "X-Request-ID"
# What proxies and load balancers send (hex, UUIDs, "Root=1-…"); anything else is replaced, not logged.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")

logger = logging.getLogger("evidence.requests")


@dataclass
class RequestInProgress:
    request_id: str
    started: float
    traceback: str | None = None


in_progress: ContextVar[RequestInProgress | None] = ContextVar("request_in_progress", default=None)


def request_id_for(request: HttpRequest) -> str:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    return incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def user_id_of(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)  # absent when a middleware before authentication answered
    try:
        return user.pk if user is not None and user.is_authenticated else None
    except DatabaseError:  # the session or user could not be read: the line is written all the same
        return None


@receiver(got_request_exception)
def keep_the_traceback(sender, **kwargs) -> None:
    current = in_progress.get()
    if current is not None:
        current.traceback = "".join(traceback.format_exception(*sys.exc_info()))


class RequestLog:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        current = RequestInProgress(request_id_for(request), time.perf_counter())
        request.request_id = current.request_id
        token = in_progress.set(current)
        try:
            response = self.get_response(request)
        finally:
            in_progress.reset(token)
        response[REQUEST_ID_HEADER] = current.request_id
        logger.log(
            level_for(response.status_code),
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": current.request_id,
                "user_id": user_id_of(request),
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - current.started) * 1000, 1),
                "traceback": current.traceback,
            },
        )
        return response


def level_for(status: int) -> int:
    if status >= 500:
        return logging.ERROR
    return logging.WARNING if status >= 400 else logging.INFO


class JsonLines(logging.Formatter):
    """A log record as one JSON object on one line: time, level, logger, message, the request's fields when
    there are any, and a traceback when there is one."""

    REQUEST_FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({name: getattr(record, name) for name in self.REQUEST_FIELDS if hasattr(record, name)})
        current = in_progress.get()
        if "request_id" not in entry and current is not None:
            entry["request_id"] = current.request_id  # a line logged by code the request ran
        exception = getattr(record, "traceback", None) or (record.exc_info and self.formatException(record.exc_info))
        if exception:
            entry["traceback"] = exception
        return json.dumps(entry, ensure_ascii=False, default=str)
