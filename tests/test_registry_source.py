"""The registry source adapter: the local registry and the HTTP adapter speak one protocol."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest

from govdesk.people.sources import HttpRegistry, LocalRegistry, SourcedValue

LI = "320205197405120027"
WANG = "320205196803090017"
ELEMENTS = [
    "person.name",
    "person.sex",
    "household.size",
    "household.members",
    "licence.id_card",
    "licence.social_security_card",
    "bank.account",
    "employment.end_date",
    "employment.status",
    "insurance.pension_status",
    "no.such.element",
]


def test_bulk_lookup_many_people_many_elements(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(5):
        found = LocalRegistry().lookup(subjects=[LI, WANG, "110101199003070011"], elements=ELEMENTS)
    assert set(found) == {LI, WANG}
    li = found[LI]
    assert li["person.name"].value == "李红梅" and li["person.name"].source == "population"
    assert li["bank.account"].value == "6214960012345678901"
    assert li["bank.account"].source == "social_security"
    assert li["licence.id_card"].source == "licence_library"
    assert li["employment.end_date"].value == "2026-09-30"
    assert li["employment.status"].value == "unemployed"
    assert li["insurance.pension_status"].source == "social_security"
    assert "no.such.element" not in li
    assert found[WANG]["household.size"].value == 6


def test_query_count_does_not_grow_with_subjects(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    from govdesk.people.models import Person

    everyone = list(Person.objects.values_list("id_number", flat=True))
    with django_assert_max_num_queries(5):
        found = LocalRegistry().lookup(subjects=everyone, elements=ELEMENTS)
    assert len(found) == len(everyone)


@pytest.fixture
def registry_server(world: Any) -> Iterator[str]:
    """A registry service speaking the bulk protocol, answering from the local registry."""
    answers = {
        subject: {element: item.as_json() for element, item in values.items()}
        for subject, values in LocalRegistry()
        .lookup(subjects=[LI, WANG], elements=ELEMENTS)
        .items()
    }
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            seen.append({"body": body, "auth": self.headers.get("Authorization")})
            reply = {
                s: {e: v for e, v in answers.get(s, {}).items() if e in body["elements"]}
                for s in body["subjects"]
                if s in answers
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
        assert seen and seen[0]["auth"] == "Bearer secret"
        assert len(seen) == 1  # one round trip for all subjects and elements
    finally:
        server.shutdown()


def test_http_adapter_speaks_the_same_protocol(registry_server: str) -> None:
    remote = HttpRegistry(registry_server, token="secret")
    found = remote.lookup(subjects=[LI, WANG], elements=ELEMENTS)
    local = LocalRegistry().lookup(subjects=[LI, WANG], elements=ELEMENTS)
    assert set(found) == set(local)
    for subject, values in local.items():
        for element, item in values.items():
            assert isinstance(found[subject][element], SourcedValue)
            assert found[subject][element].value == item.value
            assert found[subject][element].source == item.source
            assert found[subject][element].as_of == item.as_of


def test_members_listed_head_first(world: Any) -> None:
    found = LocalRegistry().lookup(subjects=[LI, WANG], elements=["household.members"])
    for subject, head in ((LI, "张伟"), (WANG, "王建国")):
        members = found[subject]["household.members"].value
        assert members[0]["name"] == head and members[0]["relation"] == "head"
        assert [m["relation"] for m in members[1:]].count("head") == 0
