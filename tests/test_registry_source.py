"""The registry source adapter: the local registry and the HTTP adapter speak one protocol."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent
from govdesk.people.sources import (
    HttpRegistry,
    LocalRegistry,
    RegistryUnavailable,
    SourcedValue,
    check_config,
    registry,
)
from tests.conftest import ZHAO_XIUYING

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
    "dibao.status",
    "dibao.since",
    "dibao.until",
    "disability.category",
    "disability.grade",
    "disability.certificate_number",
    "licence.disability_certificate",
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


Answer = tuple[int, bytes]


@contextmanager
def serve(answer: Callable[[dict[str, Any]], Answer]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A throwaway registry service on 127.0.0.1: ``answer`` turns each request body into a
    status and a body. Yields its base URL and the requests it saw."""
    seen: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers["Content-Length"])
            body = json.loads(self.rfile.read(length))
            seen.append(
                {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
            )
            status, data = answer(body)
            self.send_response(status)
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
        yield f"http://127.0.0.1:{server.server_address[1]}/registry", seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def registry_server(dibao_household: Any) -> Iterator[str]:
    """A registry service speaking the bulk protocol, answering from the local registry."""
    answers = {
        subject: {element: item.as_json() for element, item in values.items()}
        for subject, values in LocalRegistry()
        .lookup(subjects=[LI, WANG, ZHAO_XIUYING], elements=ELEMENTS)
        .items()
    }

    def answer(body: dict[str, Any]) -> Answer:
        reply = {
            s: {e: v for e, v in answers.get(s, {}).items() if e in body["elements"]}
            for s in body["subjects"]
            if s in answers
        }
        return 200, json.dumps(reply).encode()

    with serve(answer) as (url, seen):
        yield url
        assert seen and seen[0]["auth"] == "Bearer secret"
        assert seen[0]["path"] == "/registry/lookup"
        assert len(seen) == 1  # one round trip for all subjects and elements


def test_http_adapter_speaks_the_same_protocol(registry_server: str) -> None:
    """Element by element, 低保 and disability (a record and "none") included."""
    remote = HttpRegistry(registry_server, token="secret")
    found = remote.lookup(subjects=[LI, WANG, ZHAO_XIUYING], elements=ELEMENTS)
    local = LocalRegistry().lookup(subjects=[LI, WANG, ZHAO_XIUYING], elements=ELEMENTS)
    assert set(found) == set(local)
    assert found[ZHAO_XIUYING]["disability.grade"].value == "2"
    assert found[LI]["dibao.status"].value == "none"
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


# --- an HTTP registry that cannot answer --------------------------------------------------------


def _fails(registry_url: str, **timeouts: float) -> RegistryUnavailable:
    remote = HttpRegistry(registry_url, token="secret", **timeouts)
    with pytest.raises(RegistryUnavailable) as caught:
        remote.lookup(subjects=[LI], elements=["person.name"])
    error = caught.value
    assert error.code == "registry_unavailable"
    assert "127.0.0.1" not in error.message and "lookup" not in error.message
    return error


@pytest.mark.parametrize(
    "status, body",
    [
        (500, b"Internal Server Error"),
        (404, b'{"detail": "no such path"}'),
        (302, b""),
        (200, b"<html>not json</html>"),
        (200, b"\xff\xfe"),
        (200, b'["a list"]'),
        (200, b'{"%s": ["not", "an", "object"]}' % LI.encode()),
        (200, b'{"%s": {"person.name": {"value": "x"}}}' % LI.encode()),
        (200, b'{"%s": {"person.name": {"value": "x", "source": "p", "as_of": 3}}}' % LI.encode()),
        (
            200,
            b'{"%s": {"person.name": {"value": "x", "source": "p", "as_of": "yesterday"}}}'
            % LI.encode(),
        ),
        (  # no UTC offset: the time would be read in the wrong zone
            200,
            b'{"%s": {"person.name": {"value": "x", "source": "p", "as_of": "2026-01-02T03:04"}}}'
            % LI.encode(),
        ),
    ],
)
def test_http_registry_errors_and_garbage_are_unavailable(status: int, body: bytes) -> None:
    with serve(lambda _body: (status, body)) as (url, seen):
        _fails(url)
    assert len(seen) == 1


def test_http_registry_that_answers_too_slowly_is_unavailable() -> None:
    release = threading.Event()

    def answer(body: dict[str, Any]) -> Answer:
        release.wait(5)
        return 200, b"{}"

    with serve(answer) as (url, _seen):
        try:
            _fails(url, read_timeout=0.2)
        finally:
            release.set()


def test_http_registry_that_cannot_be_reached_is_unavailable() -> None:
    with serve(lambda _body: (200, b"{}")) as (url, _seen):
        pass  # the port is closed again
    _fails(url)


def test_http_registry_connects_within_the_connect_timeout(monkeypatch: Any) -> None:
    """The connection is made with the connect timeout; the answer is read with the read one."""
    made: list[float | None] = []

    class Unroutable(http.client.HTTPConnection):
        def connect(self) -> None:
            made.append(self.timeout)
            raise TimeoutError("timed out")

    monkeypatch.setattr(http.client, "HTTPConnection", Unroutable)
    _fails("http://registry.example:8080", connect_timeout=1.5, read_timeout=30)
    assert made == [1.5]


def test_timeouts_come_from_the_settings(settings: Any) -> None:
    settings.REGISTRY_CONNECT_TIMEOUT = 1.25
    settings.REGISTRY_READ_TIMEOUT = 7.0
    remote = HttpRegistry("https://registry.example")
    assert (remote.connect_timeout, remote.read_timeout) == (1.25, 7.0)


def test_api_answers_503_when_the_registry_is_unavailable(
    api: Any, staff_token: Any, settings: Any
) -> None:
    token = staff_token("clerk.chunlei")
    with serve(lambda _body: (500, b"boom")) as (url, seen):
        settings.REGISTRY_SOURCE = url  # the factory makes a new source (setting_changed)
        assert isinstance(registry(), HttpRegistry)
        before = AuditEvent.objects.count()
        response = api.post("/api/v1/people/lookup", token, {"id_number": LI}, Accept_Language="en")
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "registry_unavailable"
    assert set(body) == {"detail", "code"} and "registry" in body["detail"]
    assert url.split("//")[1] not in response.content.decode()
    assert len(seen) == 1
    rows = list(AuditEvent.objects.filter(seq__gt=before, action=AuditAction.PERSON_READ))
    assert [(r.result, r.detail["error"]) for r in rows] == [("failed", "registry_unavailable")]
    chinese = api.post("/api/v1/people/lookup", token, {"id_number": LI})  # port closed now
    assert chinese.status_code == 503 and "信息库" in chinese.json()["detail"]


# --- configuration checks -----------------------------------------------------------------------


def test_local_registry_has_nothing_to_check(settings: Any) -> None:
    settings.REGISTRY_SOURCE = "local"
    assert check_config() == [] and LocalRegistry().check_config() == []
    call_command("check")  # the whole project's checks pass as configured


@pytest.mark.parametrize(
    "setting, expected",
    [
        ("loca", "GOVDESK_REGISTRY='loca' is not 'local', an http(s):// URL"),
        ("govdesk.people.sources.NoSuchRegistry", "NoSuchRegistry"),
        ("https://", "the HTTP registry's URL 'https:' is not http(s)://host/"),
        ("http://registry.example:port", "bad port"),
    ],
)
def test_a_bad_registry_setting_fails_the_check(settings: Any, setting: str, expected: str) -> None:
    settings.REGISTRY_SOURCE = setting
    problems = check_config()
    assert problems and expected in problems[0], problems
    with pytest.raises(SystemCheckError, match=r"people\.E001"):
        call_command("check")


def test_http_registry_checks_its_url_and_timeouts() -> None:
    sound = HttpRegistry("https://registry.example/api", connect_timeout=1, read_timeout=2)
    assert sound.check_config() == []
    problems = HttpRegistry("", connect_timeout=0, read_timeout=-1).check_config()
    assert problems == [
        "the HTTP registry has no URL.",
        "the HTTP registry's connect timeout (GOVDESK_REGISTRY_CONNECT_TIMEOUT) must be over "
        "0 seconds, not 0.",
        "the HTTP registry's read timeout (GOVDESK_REGISTRY_READ_TIMEOUT) must be over "
        "0 seconds, not -1.",
    ]
