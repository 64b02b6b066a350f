"""The home page's direct entries: 常住人口信息证明 pinned first, then the eight most-used matters
(applications over the last 90 days), topped up from the catalogue's ``featured`` ranks; each
one tap from its guide; a bounded number of queries. And the catalogue keys behind them."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from govdesk.applications.models import Application, Channel
from govdesk.catalog import selectors
from govdesk.catalog.models import Matter
from govdesk.catalog.services import DATA_DIR, CatalogError, catalog_load
from govdesk.demo.loader import CHUNLEI
from govdesk.organisations.models import Region
from govdesk.people.models import Person

PINNED = "CERT-RESIDENT-POPULATION"
# The configured order (catalogue key ``featured``; 常住人口信息证明 is rank 1 and pinned).
CONFIGURED = [
    "HRSS-001",  # 失业登记
    "HRSS-005",  # 灵活就业人员参保登记
    "NHSA-001",  # 城乡居民基本医疗保险参保登记
    "NHSA-003",  # 异地就医备案
    "MCA-007",  # 高龄津贴申领
    "MCA-001",  # 最低生活保障申请
    "HRSS-010",  # 社会保障卡申领
    "MPS-001",  # 居住证申领
]
WANG = "320205196803090017"

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_recent_use(world: dict[str, Region]) -> None:
    """Whatever applications earlier tests left are older than the 90-day window."""
    Application.objects.update(created_at=timezone.now() - timedelta(days=120))


@pytest.fixture
def apply_for(world: dict[str, Region]) -> Any:
    person = Person.objects.get(id_number=WANG)
    region = Region.objects.get(code=CHUNLEI)
    made = [0]

    def make(code: str, times: int = 1, *, days_ago: int = 0) -> None:
        matter = Matter.objects.get(code=code)
        for _ in range(times):
            made[0] += 1
            application = Application.objects.create(
                number=f"GD-TEST-HOME-{made[0]:04d}",
                matter=matter,
                applicant=person,
                region=region,
                channel=Channel.ONLINE,
                created_by="test",
            )
            if days_ago:
                Application.objects.filter(pk=application.pk).update(
                    created_at=timezone.now() - timedelta(days=days_ago)
                )

    return make


def _home(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return str(response.content.decode())


def _entry_codes(html: str) -> list[str]:
    return re.findall(r'class="entry-link" href="/matters/([A-Z0-9-]+)/"', html)


def _codes(entries: list[Matter]) -> list[str]:
    return [m.code for m in entries]


def test_the_catalogue_configures_the_home_page(world: dict[str, Region]) -> None:
    pinned = Matter.objects.get(pinned=True)
    assert pinned.code == PINNED and pinned.name == "常住人口信息证明"
    ranked = Matter.objects.filter(featured_rank__isnull=False).order_by("featured_rank")
    assert [(m.code, m.featured_rank) for m in ranked] == [
        (code, rank) for rank, code in enumerate([PINNED, *CONFIGURED], start=1)
    ]


def test_without_use_the_home_shows_the_configured_order(
    client: Client, no_recent_use: None
) -> None:
    pinned, entries = selectors.home_entries()
    assert pinned is not None and pinned.code == PINNED
    assert _codes(entries) == CONFIGURED

    html = _home(client)
    assert _entry_codes(html) == CONFIGURED
    assert html.index('class="pinned"') < html.index('class="entry-link"')  # pinned first
    for name in ["失业登记", "异地就医备案", "高龄津贴申领", "居住证申领", "常住人口信息证明"]:
        assert name in html


def test_real_use_ranks_first_then_the_configured_order_tops_up(
    client: Client, no_recent_use: None, apply_for: Any
) -> None:
    apply_for("MCA-010", 3)
    apply_for("NHC-001", 2)
    apply_for("HRSS-010", 1)  # configured too: moves up, shown once
    apply_for(PINNED, 5)  # the pinned one stays pinned, not counted among the eight
    apply_for("MCA-002", 9, days_ago=91)  # outside the 90-day window: not real use now
    Matter.objects.filter(code="MCA-003").update(published=False)
    apply_for("MCA-003", 7)  # not published: never shown

    expected = ["MCA-010", "NHC-001", "HRSS-010", *[c for c in CONFIGURED if c != "HRSS-010"]][:8]
    pinned, entries = selectors.home_entries()
    assert pinned is not None and pinned.code == PINNED
    assert _codes(entries) == expected

    html = _home(client)
    assert _entry_codes(html) == expected
    assert len(set(_entry_codes(html))) == 8


def test_use_fills_all_eight_entries(client: Client, no_recent_use: None, apply_for: Any) -> None:
    used = ["MCA-010", "MCA-011", "MCA-012", "NHC-001", "NHC-002", "HRSS-002", "HRSS-003"]
    for times, code in enumerate(["MCA-013", "HRSS-001", *used], start=1):
        apply_for(code, times)
    # Nine matters used: the eight most used, most first; the least used one drops out.
    expected = list(reversed(["HRSS-001", *used]))
    assert _codes(selectors.home_entries().entries) == expected
    assert _entry_codes(_home(client)) == expected


def test_the_pinned_entry_is_there_once_with_one_tap_to_apply(
    client: Client, no_recent_use: None, apply_for: Any
) -> None:
    apply_for(PINNED, 3)
    html = _home(client)
    assert PINNED not in _entry_codes(html)
    assert html.count(f'href="/matters/{PINNED}/"') == 1
    assert html.count(f'action="/matters/{PINNED}/apply/"') == 1
    assert html.count("常住人口信息证明") == 1


def test_every_entry_is_one_tap_from_its_guide(client: Client, no_recent_use: None) -> None:
    html = _home(client)
    links = [PINNED, *_entry_codes(html)]
    assert len(links) == 9
    names = dict(Matter.objects.filter(code__in=links).values_list("code", "name"))
    for code in links:
        assert f'href="/matters/{code}/"' in html
        guide = client.get(f"/matters/{code}/")
        assert guide.status_code == 200, code
        assert names[code] in guide.content.decode()


def test_unpublished_or_unpinned_entries_drop_out(client: Client, no_recent_use: None) -> None:
    Matter.objects.filter(code__in=["HRSS-005", "NHSA-003"]).update(published=False)
    pinned, entries = selectors.home_entries()
    assert pinned is not None
    expected = [c for c in CONFIGURED if c not in {"HRSS-005", "NHSA-003"}]
    assert _codes(entries) == expected  # only the nine configured: fewer than eight left

    Matter.objects.filter(code=PINNED).update(pinned=False)
    pinned, entries = selectors.home_entries()
    assert pinned is None
    assert _codes(entries) == [PINNED, *expected]  # its rank (1) puts it back among the entries
    html = _home(client)
    assert 'class="pinned"' not in html
    assert _entry_codes(html)[0] == PINNED


def test_queries_are_bounded(
    client: Client,
    no_recent_use: None,
    apply_for: Any,
    django_assert_max_num_queries: Any,
) -> None:
    for code in ["MCA-010", "MCA-011", "NHC-001", "HRSS-002"]:
        apply_for(code, 2)
    with django_assert_max_num_queries(2):
        pinned, entries = selectors.home_entries()
        departments = [m.department.name for m in [*entries, *([pinned] if pinned else [])]]
    assert len(departments) == 9
    with django_assert_max_num_queries(2):
        selectors.home_entries(limit=50)
    with django_assert_max_num_queries(2):  # the whole page, for a visitor
        _home(client)


def test_certificate_list_shows_the_pinned_one_first(client: Client) -> None:
    allowed = selectors.certificate_lists()["allowed"]
    assert allowed[0]["matter"] == PINNED
    online = [c["online"] for c in allowed]
    assert online == sorted(online, reverse=True)


# --- the catalogue keys ------------------------------------------------------------------------


@pytest.fixture
def data_copy(tmp_path: Path, no_recent_use: None) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(DATA_DIR, folder)
    return folder


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _featured_line(code_file: Path, rank: int) -> str:
    found = re.search(rf"\n( +featured: {rank}\b[^\n]*)", code_file.read_text(encoding="utf-8"))
    assert found
    return found.group(1)


def test_loader_sets_moves_and_clears_the_keys(data_copy: Path) -> None:
    hrss = data_copy / "matters" / "hrss.yaml"
    certificates = data_copy / "certificates.yaml"
    _edit(hrss, _featured_line(hrss, 2), "")  # HRSS-001: key removed
    _edit(hrss, _featured_line(hrss, 3), "    featured: 20")  # HRSS-005: rank changed
    _edit(certificates, "    pinned: true", "")
    residence = "  - code: CERT-RESIDENCE\n"
    _edit(certificates, residence, f"{residence}    pinned: true\n")
    catalog_load(folder=data_copy)

    ranks = dict(Matter.objects.values_list("code", "featured_rank"))
    assert ranks["HRSS-001"] is None
    assert ranks["HRSS-005"] == 20
    assert ranks["HRSS-010"] == 8
    assert list(Matter.objects.filter(pinned=True).values_list("code", flat=True)) == [
        "CERT-RESIDENCE"
    ]
    pinned, entries = selectors.home_entries()
    assert pinned is not None and pinned.code == "CERT-RESIDENCE"
    assert _codes(entries)[:2] == [PINNED, "NHSA-001"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("    featured: 20", "    featured: 2"), "featured rank 2 is given to more than one"),
        (("    featured: 20", "    pinned: true"), "only one matter may be pinned"),
        (("    featured: 20", "    featured: 0"), "featured must be a whole number from 1"),
        (("    featured: 20", "    pinned: yes please"), "pinned must be true or false"),
    ],
)
def test_loader_refuses_bad_keys(data_copy: Path, edit: tuple[str, str], message: str) -> None:
    hrss = data_copy / "matters" / "hrss.yaml"
    _edit(hrss, _featured_line(hrss, 3), "    featured: 20")
    _edit(hrss, *edit)
    with pytest.raises(CatalogError, match=message):
        catalog_load(folder=data_copy)
    assert Matter.objects.get(code="HRSS-005").featured_rank == 3  # nothing changed
    assert Matter.objects.get(pinned=True).code == PINNED


def test_loader_refuses_a_code_of_the_wrong_form(data_copy: Path) -> None:
    """The API states the form of matter and bundle codes; the loader keeps to it."""
    _edit(data_copy / "matters" / "hrss.yaml", "  - code: HRSS-005\n", "  - code: hrss-005\n")
    with pytest.raises(CatalogError, match="code 'hrss-005' is not upper-case words"):
        catalog_load(folder=data_copy)
    assert Matter.objects.filter(code="HRSS-005").exists()  # nothing changed
