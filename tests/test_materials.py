"""Materials the resident must provide: the guide and the application say the same thing of
every material (one resolution, ``MaterialRequirement.need``), templates filled as far as
known, uploads checked by content and served only to those who may see the application."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from govdesk.applications.materials import STATUSES_BY_NEED, resolve_materials
from govdesk.applications.models import Application
from govdesk.catalog.models import MaterialNeed, Matter
from tests.test_portal import LI, WANG, sign_in

DIBAO = "MCA-001"
DECLARATION = "家庭收入和财产申报"

pytestmark = pytest.mark.django_db


class _Materials(HTMLParser):
    """``data-need`` or ``data-status`` of each material item of a page, by material name."""

    def __init__(self, attribute: str) -> None:
        super().__init__()
        self.attribute = attribute
        self.found: dict[str, str] = {}
        self._open: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "li" and "p-material" in (a.get("class") or "").split():
            self._open, self._text = a.get(self.attribute) or "", []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "li" and self._open is not None:
            words = "".join(self._text).split()
            name = re.split(r"[（(]", words[0])[0] if words else ""
            self.found[name] = self._open
            self._open = None


def materials_of(html: str, attribute: str) -> dict[str, str]:
    parser = _Materials(attribute)
    parser.feed(html)
    return parser.found


def start_online(client: Client, code: str) -> str:
    response = client.post(f"/matters/{code}/apply/")
    assert response.status_code == 302, response
    return str(response["Location"])


def test_the_guide_and_the_application_agree_on_the_income_declaration(
    client: Client, demo_sms: None
) -> None:
    """Before: the guide said 无需提交 and the application 需您提供. Now the guide says what
    the resident provides, and for what the system may hold, that it is needed only if the
    system does not hold it; the application resolves each within what the guide said."""
    guide = client.get(f"/matters/{DIBAO}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    needs = materials_of(guide, "data-need")
    assert needs[DECLARATION] == MaterialNeed.RESIDENT
    declaration = guide[guide.index(DECLARATION) :]
    declaration = declaration[: declaration.index("</li>")]
    assert "需您提供" in declaration and "无需提交" not in declaration
    assert needs["申请人居民身份证"] == MaterialNeed.UNLESS_HELD
    assert needs["最低生活保障申请书"] == MaterialNeed.RESIDENT

    sign_in(client, LI)
    url = start_online(client, DIBAO)
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    statuses = materials_of(page, "data-status")
    assert statuses[DECLARATION] == "required"
    assert statuses["申请人居民身份证"] == "licence"  # she holds the e-licence
    assert set(statuses) <= set(needs)
    for name, status in statuses.items():
        assert status in STATUSES_BY_NEED[needs[name]], (name, needs[name], status)


def test_no_material_of_any_matter_contradicts_its_guide() -> None:
    """For two personas and every published matter, each material's status for that person
    is one the guide's word for it allows."""
    for id_number in (LI, WANG):
        for matter in Matter.objects.filter(published=True).prefetch_related("materials"):
            requirements = list(matter.materials.all())
            needed, optional = resolve_materials(
                id_number=id_number, requirements=requirements, provided=[], produced_earlier={}
            )
            needs = {r.name: r.need for r in requirements}
            for status in [*needed, *optional]:
                allowed = STATUSES_BY_NEED[needs[status.name]]
                assert status.status in allowed, (matter.code, status.name, status.status)
                assert status.need == needs[status.name]


def test_the_api_guide_names_each_materials_need(client: Client) -> None:
    guide = client.get(f"/api/v1/matters/{DIBAO}").json()
    by_name = {m["name"]: m for m in guide["materials"]}
    assert by_name[DECLARATION]["need"] == "resident"
    assert by_name[DECLARATION]["template"] is True
    assert by_name["申请人居民身份证"]["need"] == "unless_held"
    assert DECLARATION in guide["materials_to_bring"]
    assert "申请人居民身份证" not in guide["materials_to_bring"]
    assert Application.objects.count() == 0
