"""A registry served by another department, over HTTP(S), speaking the bulk protocol."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import datetime

from govdesk.people.sources.base import Lookup, SourcedValue


class HttpRegistry:
    """A registry served by another department: ``POST {base_url}/lookup`` with
    ``{"subjects": [...], "elements": [...]}`` answering ``{subject: {element: {value, source,
    as_of}}}`` — the same shape ``SourcedValue.as_json`` writes."""

    def __init__(self, base_url: str, token: str = "", timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def lookup(self, *, subjects: Sequence[str], elements: Iterable[str]) -> Lookup:
        body = json.dumps({"subjects": list(subjects), "elements": sorted(set(elements))})
        request = urllib.request.Request(  # noqa: S310 - the URL is configuration
            self.base_url + "/lookup",
            data=body.encode(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            payload = json.loads(response.read())
        return {
            subject: {
                element: SourcedValue(
                    item["value"], item["source"], datetime.fromisoformat(item["as_of"])
                )
                for element, item in values.items()
            }
            for subject, values in payload.items()
        }
