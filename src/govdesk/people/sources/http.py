"""A registry served by another department, over HTTP(S), speaking the bulk protocol.

``POST {base_url}/lookup`` with ``{"subjects": [...], "elements": [...]}`` answers
``{subject: {element: {"value": …, "source": "…", "as_of": "<ISO 8601 with offset>"}}}`` —
the shape ``SourcedValue.as_json`` writes. Elements and their values are those of ``base``:
``dibao.status`` (civil affairs) and ``disability.category`` / ``disability.grade`` (the
disabled persons' federation) are answered for every known subject, ``none`` when the
department holds no record for them, exactly as the embedded registry answers.

Connecting may take ``connect_timeout`` seconds and each read of the answer ``read_timeout``
seconds (``GOVDESK_REGISTRY_CONNECT_TIMEOUT``, ``GOVDESK_REGISTRY_READ_TIMEOUT``). A failure to
connect, a timeout, an answer other than 2xx or a body that is not the protocol's raises
:class:`RegistryUnavailable`; the address and the cause go to the log, never to the person on
the screen.
"""

from __future__ import annotations

import http.client
import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from govdesk.people.sources.base import Lookup, RegistryUnavailable, SourcedValue

logger = logging.getLogger(__name__)


class MalformedAnswer(ValueError):
    """The registry's answer is not the protocol's."""


def parse_answer(body: bytes) -> Lookup:
    """The look-up a registry answered, checked against the protocol: a JSON object of
    subjects, each an object of elements, each with a ``value``, a ``source`` (text) and an
    ``as_of`` (ISO 8601 with a UTC offset). Raises ``MalformedAnswer``."""
    try:
        payload = json.loads(body)
    except ValueError as exc:  # not JSON, or not UTF-8
        raise MalformedAnswer(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise MalformedAnswer(f"a JSON {type(payload).__name__}, not an object of subjects")
    found: Lookup = {}
    for subject, values in payload.items():
        if not isinstance(values, dict):
            raise MalformedAnswer(f"subject {subject!r}: not an object of elements")
        found[subject] = {element: _sourced(item) for element, item in values.items()}
    return found


def _sourced(item: Any) -> SourcedValue:
    if not isinstance(item, dict) or "value" not in item:
        raise MalformedAnswer(f"not a value with its source: {item!r:.80}")
    source, as_of = item.get("source"), item.get("as_of")
    if not isinstance(source, str) or not isinstance(as_of, str):
        raise MalformedAnswer(f"no source or as_of as text: {item!r:.80}")
    try:
        stamp = datetime.fromisoformat(as_of)
    except ValueError as exc:
        raise MalformedAnswer(f"as_of is not ISO 8601: {as_of!r:.40}") from exc
    if stamp.tzinfo is None:
        raise MalformedAnswer(f"as_of has no UTC offset: {as_of!r:.40}")
    return SourcedValue(item["value"], source, stamp)


class HttpRegistry:
    """A registry served by another department (see the module's description). Timeouts not
    given come from the settings."""

    def __init__(
        self,
        base_url: str,
        token: str = "",
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.connect_timeout = (
            settings.REGISTRY_CONNECT_TIMEOUT if connect_timeout is None else connect_timeout
        )
        self.read_timeout = settings.REGISTRY_READ_TIMEOUT if read_timeout is None else read_timeout

    def check_config(self) -> list[str]:
        problems = []
        parts = urlsplit(self.base_url)
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            problems.append(f"the HTTP registry's URL {self.base_url!r} has a bad port.")
        if not self.base_url:
            problems.append("the HTTP registry has no URL.")
        elif parts.scheme not in {"http", "https"} or not parts.hostname:
            problems.append(f"the HTTP registry's URL {self.base_url!r} is not http(s)://host/…")
        for name, value in (
            ("connect timeout (GOVDESK_REGISTRY_CONNECT_TIMEOUT)", self.connect_timeout),
            ("read timeout (GOVDESK_REGISTRY_READ_TIMEOUT)", self.read_timeout),
        ):
            if not value > 0:
                problems.append(f"the HTTP registry's {name} must be over 0 seconds, not {value}.")
        return problems

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup:
        wanted = sorted(set(elements))
        if not subjects or not wanted:
            return {}
        body = json.dumps({"subjects": list(subjects), "elements": wanted}).encode()
        try:
            status, answer = self._post("/lookup", body)
        except (OSError, http.client.HTTPException, ValueError) as exc:  # timeouts are OSErrors
            raise self._unavailable(f"{type(exc).__name__}: {exc}") from exc
        if not 200 <= status < 300:
            raise self._unavailable(f"HTTP {status}: {answer[:200]!r}")
        try:
            return parse_answer(answer)
        except MalformedAnswer as exc:
            raise self._unavailable(f"malformed answer: {exc}") from exc

    def _post(self, path: str, body: bytes) -> tuple[int, bytes]:
        """One request on its own connection: connecting within the connect timeout, then
        every read of the answer within the read timeout."""
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("not an http(s) URL with a host")
        secure = parts.scheme == "https"
        kind = http.client.HTTPSConnection if secure else http.client.HTTPConnection
        connection = kind(parts.hostname, parts.port, timeout=self.connect_timeout)
        try:
            connection.connect()  # TCP, and the TLS handshake for https
            if connection.sock is not None:
                connection.sock.settimeout(self.read_timeout)
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            if self.token:
                headers["Authorization"] = f"Bearer {self.token}"
            connection.request("POST", parts.path + path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def _unavailable(self, cause: str) -> RegistryUnavailable:
        logger.warning("registry %s/lookup cannot answer: %s", self.base_url, cause)
        return RegistryUnavailable()
