"""Proactive offers (★): one rule table in the catalogue (catalog/data/offers.yaml), checked when
it loads, evaluated by one selector from one bulk registry look-up; shown with the reason on
the workbench's person card and on the signed-in resident's home page. Who is offered what and
why, for every persona of PRODUCT.md and a 低保 household; never what one holds or has under
way."""

from __future__ import annotations

import re
import time
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from govdesk.applications.lifecycle import Status
from govdesk.applications.models import Application, Channel
from govdesk.applications.readmodels import Offer
from govdesk.applications.selectors import offers_for
from govdesk.catalog.models import Matter
from govdesk.common.idnumbers import make
from govdesk.demo.loader import (
    CHEN_GUILAN,
    CHUNLEI,
    LI_HONGMEI,
    SUN_JIZHEN,
    WANG_JIANGUO,
    WANG_LEI,
    WANG_ZIHAN,
    ZHANG_WEI,
    ZHOU_TING,
)
from govdesk.organisations.models import Region
from govdesk.people.models import Licence, LicenceType, Person
from govdesk.people.services import dibao_record_set, employment_records_set, person_upsert
from govdesk.people.sources import RegistryUnavailable
from govdesk.portal.session import RESIDENT_KEY, SEEN_AT_KEY, SIGNED_IN_AT_KEY
from tests.conftest import QIAN_GUOQIANG, ZHAO_XIUYING, staff_client

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 8)
F1 = "BUNDLE-EMPLOYMENT-DIFFICULTY"
UTILITIES = "BUNDLE-UTILITIES-LARGE-HOUSEHOLD"
UTILITIES_REASON = "户内登记6人：开具常住人口信息证明，即可申请提高水电气阶梯人口基数"

# Who is offered what, and why (Simplified Chinese, on TODAY), in the order shown.
PERSONAS: dict[str, list[tuple[str, str]]] = {
    LI_HONGMEI: [  # 52, left her job on 2026-09-30
        (F1, "52岁，2026-09-30离职：可按“4050人员”认定为就业困难人员，并申领灵活就业社保补贴")
    ],
    ZHANG_WEI: [],  # 48, employed, a household of two
    WANG_JIANGUO: [(UTILITIES, UTILITIES_REASON)],  # head of a household of six
    CHEN_GUILAN: [(UTILITIES, UTILITIES_REASON)],
    WANG_LEI: [(UTILITIES, UTILITIES_REASON)],
    ZHOU_TING: [(UTILITIES, UTILITIES_REASON)],
    WANG_ZIHAN: [],  # 14: the household's certificate is for an adult to ask for
    SUN_JIZHEN: [  # 87; holds the senior citizen card already, so it is not offered
        ("MCA-007", "87岁，年满80周岁：可申领高龄津贴"),
        (UTILITIES, UTILITIES_REASON),
    ],
}


def age(id_number: str) -> int:
    """The person's age today (the pages work out offers on the day they are shown)."""
    born, today = Person.objects.get(id_number=id_number).birth_date, date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def offered(id_number: str, today: date = TODAY) -> list[tuple[str, str]]:
    with translation.override("zh-hans"):
        return [(o.code, o.reason) for o in offers_for(id_number=id_number, today=today)]


@pytest.mark.parametrize("id_number", list(PERSONAS))
def test_each_persona_is_offered_what_the_facts_support(world: Any, id_number: str) -> None:
    assert offered(id_number) == PERSONAS[id_number]


def test_a_dibao_household_with_a_disability(dibao_household: dict[str, str]) -> None:
    """赵秀英 (65, 低保, grade 2 physical disability) and her husband 钱国强 (68, 低保)."""
    assert offered(ZHAO_XIUYING) == [
        ("MCA-009", "65岁，年满60周岁：可办理老年人优待证"),
        ("MCA-008", "65岁，家庭在享受低保：可申请经济困难老年人养老服务补贴"),
        ("MCA-005", "持残疾人证，家庭在享受低保：可申请困难残疾人生活补贴"),
        ("MCA-006", "残疾等级为一级或二级：可申请重度残疾人护理补贴"),
    ]
    assert [code for code, _ in offered(QIAN_GUOQIANG)] == ["MCA-009", "MCA-008"]


def test_the_first_rule_that_holds_gives_the_reason(dibao_household: dict[str, str]) -> None:
    """A son of the 低保 household, 30 and just out of work, is offered F1 once, for 低保."""
    son = person_upsert(id_number=make("320205", date(1996, 6, 3), 57), name="钱小军")
    Person.objects.get(id_number=ZHAO_XIUYING).membership.household.members.create(
        person=son, relation="son", since=date(1996, 6, 3)
    )
    dibao_record_set(person=son, since=date(2024, 3, 1))
    employment_records_set(
        person=son,
        spells=[("无锡锡东精密机械有限公司", "", date(2019, 7, 1), date(2026, 10, 15), "合同到期")],
    )
    assert offered(son.id_number) == [
        (F1, "2026-10-15起失业，家庭在享受低保：可认定为就业困难人员，并申领灵活就业社保补贴")
    ]
    # A year later he is still out of work: the long-term category, the same bundle.
    later = offered(son.id_number, date(2027, 11, 1))
    assert later == [
        (F1, "2026-10-15起连续失业一年以上：可认定为就业困难人员，并申领灵活就业社保补贴")
    ]


def _apply(id_number: str, matter: str, status: Status = Status.SUBMITTED) -> Application:
    return Application.objects.create(
        number=f"GD-TEST-OFFER-{Application.objects.count():05d}",
        matter=Matter.objects.get(code=matter),
        applicant=Person.objects.get(id_number=id_number),
        region=Region.objects.get(code=CHUNLEI),
        channel=Channel.ONLINE,
        created_by="test",
        status=status,
    )


def test_nothing_under_way_or_held_is_offered(world: Any, api: Any, staff_token: Any) -> None:
    clerk = staff_token("clerk.chunlei")
    # 李红梅's bundle started at the window: it is under way.
    started = api.post(f"/api/v1/bundles/{F1}/start", clerk, {"applicant": LI_HONGMEI})
    assert started.status_code == 201, started.content
    assert offered(LI_HONGMEI) == []

    # 孙𠮷珍 asked for the old-age allowance: under way, then granted (she holds it).
    application = _apply(SUN_JIZHEN, "MCA-007")
    assert "MCA-007" not in dict(offered(SUN_JIZHEN))
    Application.objects.filter(pk=application.pk).update(status=Status.COMPLETED)
    assert "MCA-007" not in dict(offered(SUN_JIZHEN))
    # Refused: neither held nor under way, and the facts still say she qualifies.
    Application.objects.filter(pk=application.pk).update(status=Status.REFUSED)
    assert "MCA-007" in dict(offered(SUN_JIZHEN))

    # Her senior citizen card is what keeps that offer away: without it, it is offered.
    Licence.objects.filter(type=LicenceType.ELDERLY_CARD).update(revoked=True)
    assert "MCA-009" in dict(offered(SUN_JIZHEN))


def test_a_household_offer_is_taken_up_once_for_the_household(
    world: Any, api: Any, staff_token: Any
) -> None:
    started = api.post(
        f"/api/v1/bundles/{UTILITIES}/start",
        staff_token("clerk.chunlei"),
        {"applicant": WANG_JIANGUO},
    )
    assert started.status_code == 201, started.content
    for member in (WANG_JIANGUO, CHEN_GUILAN, WANG_LEI, ZHOU_TING, SUN_JIZHEN):
        assert UTILITIES not in dict(offered(member)), member
    assert "MCA-007" in dict(offered(SUN_JIZHEN))  # her own offers stay


def test_a_fixed_number_of_queries(
    dibao_household: dict[str, str], api: Any, staff_token: Any
) -> None:
    """The rules, one registry look-up for every element any rule needs, the applications:
    the same count whoever the person, however many rules hold, applications or members."""
    _apply(SUN_JIZHEN, "MCA-009", Status.REFUSED)
    api.post(f"/api/v1/bundles/{F1}/start", staff_token("clerk.chunlei"), {"applicant": LI_HONGMEI})
    counts = {}
    for number in (LI_HONGMEI, ZHANG_WEI, SUN_JIZHEN, WANG_ZIHAN, ZHAO_XIUYING):
        with CaptureQueriesContext(connection) as queries:
            offers_for(id_number=number, today=TODAY)
        counts[number] = len(queries)
    assert max(counts.values()) <= 5, counts
    assert counts[SUN_JIZHEN] == counts[ZHAO_XIUYING]  # two rules hold or four: no difference


def test_nobody_unknown_is_offered_anything(world: Any) -> None:
    assert offers_for(id_number=make("320205", date(1980, 1, 1), 11)) == []


def test_names_and_reasons_in_the_readers_language(world: Any) -> None:
    with translation.override("en"):
        offer = offers_for(id_number=SUN_JIZHEN, today=TODAY)[0]
    assert offer == Offer(
        rule="elderly-allowance",
        kind="matter",
        code="MCA-007",
        name="Claim for old-age (80+) allowance",
        reason="Aged 87, 80 or over: may claim the old-age allowance",
        online=True,
    )
    with translation.override("zh-hant"):
        offer = offers_for(id_number=SUN_JIZHEN, today=TODAY)[0]
    assert (offer.name, offer.reason) == ("高齡津貼申領", "87歲，年滿80週歲：可申領高齡津貼")


# --- where they are shown ----------------------------------------------------------------------


def test_the_person_card_shows_them_with_the_reason_and_a_start(world: Any) -> None:
    clerk = staff_client("clerk.chunlei")
    response = clerk.post("/staff/people/find/", {"id_number": SUN_JIZHEN}, follow=True)
    page = response.content.decode()
    box = page[page.index('id="bundles-h"') : page.index('id="open-h"')]
    assert "Claim for old-age (80+) allowance" in box
    assert f"Why: Aged {age(SUN_JIZHEN)}, 80 or over: may claim the old-age allowance" in box
    assert 'href="/matters/MCA-007/"' in box  # the guide
    assert 'action="/staff/applications/start/"' in box and 'value="MCA-007"' in box
    assert 'action="/staff/bundles/start/"' in box and f'value="{UTILITIES}"' in box
    assert f'href="/bundles/{UTILITIES}/"' in box
    assert "MCA-009" not in box  # she holds the senior citizen card
    # Started from the card, the matter is under way and no longer offered.
    ref = re.search(r'name="person" value="([^"]+)"', box)
    assert ref is not None
    started = clerk.post(
        "/staff/applications/start/", {"matter": "MCA-007", "person": ref[1], "idem": "offer-1"}
    )
    assert started.status_code == 302
    again = clerk.post("/staff/people/find/", {"id_number": SUN_JIZHEN}, follow=True)
    assert 'value="MCA-007"' not in again.content.decode().split('id="open-h"')[0]


def _signed_in(client: Client, id_number: str) -> Client:
    session = client.session
    session[RESIDENT_KEY] = Person.objects.get(id_number=id_number).pk
    session[SIGNED_IN_AT_KEY] = session[SEEN_AT_KEY] = int(time.time())  # a fresh sign-in
    session.save()
    return client


def test_the_residents_home_says_for_you_above_the_entries(client: Client, world: Any) -> None:
    html = _signed_in(client, LI_HONGMEI).get("/").content.decode()
    start = html.index('class="for-you"')
    section = html[start : html.index("</section>", start)]
    assert f'href="/bundles/{F1}/"' in section
    assert "就业困难认定和补贴一件事" in section
    assert f"{age(LI_HONGMEI)}岁，2026-09-30离职" in section
    assert start < html.index('class="pinned"') < html.index('class="entry-link"')
    english = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert ">For you</h2>" in english
    assert "Employment-difficulty recognition and social insurance subsidy" in english


def test_an_online_matter_is_one_tap_from_the_home(client: Client, world: Any) -> None:
    html = _signed_in(client, SUN_JIZHEN).get("/").content.decode()
    section = html[html.index('class="for-you"') : html.index('class="entry-link"')]
    assert 'href="/matters/MCA-007/"' in section
    assert 'action="/matters/MCA-007/apply/"' in section
    assert f"{age(SUN_JIZHEN)}岁，年满80周岁：可申领高龄津贴" in section


def test_a_visitor_or_a_resident_with_nothing_sees_no_section(client: Client, world: Any) -> None:
    assert 'class="for-you"' not in client.get("/").content.decode()
    assert 'class="for-you"' not in _signed_in(client, ZHANG_WEI).get("/").content.decode()


def test_the_home_works_when_the_registry_does_not(
    client: Client, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unavailable(**_kwargs: Any) -> list[Offer]:
        raise RegistryUnavailable()

    monkeypatch.setattr("govdesk.applications.selectors.offers_for", unavailable)
    response = _signed_in(client, LI_HONGMEI).get("/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot be worked out right now" in html and 'class="entry-link"' in html
