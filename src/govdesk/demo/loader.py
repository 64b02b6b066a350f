"""The demo city, its staff and the personas of PRODUCT.md, created or updated idempotently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from govdesk.accounts.models import User
from govdesk.accounts.services import group_grant, staff_user_upsert
from govdesk.catalog.services import catalog_load
from govdesk.certificates.services import demo_pki_load
from govdesk.common.roles import SECURITY_PERMISSION, Role
from govdesk.forms.services import forms_load
from govdesk.organisations.models import Region, RegionLevel
from govdesk.organisations.services import department_upsert, region_upsert, service_point_upsert
from govdesk.people.generator import EMPLOYERS, population_generate
from govdesk.people.models import LicenceType, Source
from govdesk.people.services import (
    employment_records_set,
    household_upsert,
    licence_upsert,
    person_upsert,
    registry_fact_set,
)

# (code, name, level, parent code)
REGIONS = [
    ("320200000000", "无锡市", RegionLevel.CITY, None),
    ("320205000000", "锡山区", RegionLevel.DISTRICT, "320200000000"),
    ("320213000000", "梁溪区", RegionLevel.DISTRICT, "320200000000"),
    ("320205005000", "云林街道", RegionLevel.SUBDISTRICT, "320205000000"),
    ("320205005001", "春雷社区", RegionLevel.COMMUNITY, "320205005000"),
    ("320205005002", "云林社区", RegionLevel.COMMUNITY, "320205005000"),
    ("320205005003", "苏巷社区", RegionLevel.COMMUNITY, "320205005000"),
    ("320205001000", "东亭街道", RegionLevel.SUBDISTRICT, "320205000000"),
    ("320205001001", "东亭社区", RegionLevel.COMMUNITY, "320205001000"),
    ("320205001002", "映月社区", RegionLevel.COMMUNITY, "320205001000"),
    ("320213002000", "崇安寺街道", RegionLevel.SUBDISTRICT, "320213000000"),
    ("320213002001", "新生路社区", RegionLevel.COMMUNITY, "320213002000"),
]
CHUNLEI = "320205005001"

SERVICE_POINTS = [
    ("SP-320205005001", "春雷社区党群服务中心便民服务站", CHUNLEI, "云林街道春雷苑东门"),
    ("SP-320205005000", "云林街道便民服务中心", "320205005000", "云林街道锡沪中路"),
    ("SP-320205001001", "东亭社区便民服务站", "320205001001", "东亭街道东亭中路"),
    ("SP-320205000000", "锡山区政务服务中心", "320205000000", "锡山区东亭街道"),
]
DEPARTMENTS = [
    ("hrss", "锡山区人力资源和社会保障局", "人社", "320205000000"),
    ("mca", "锡山区民政局", "民政", "320205000000"),
    ("nhsa", "锡山区医疗保障局", "医保", "320205000000"),
    ("data", "无锡市数据局", "数据局", "320200000000"),
]


@dataclass(frozen=True)
class StaffSpec:
    username: str
    role: str
    region: str
    last_name: str
    first_name: str
    service_point: str | None = None
    department: str | None = None


STAFF = [
    StaffSpec("clerk.chunlei", Role.CLERK, CHUNLEI, "周", "敏", "SP-320205005001"),
    StaffSpec("reviewer.yunlin", Role.REVIEWER, "320205005000", "钱", "立", "SP-320205005000"),
    StaffSpec("approver.hrss", Role.APPROVER, "320205000000", "吴", "强", None, "hrss"),
    StaffSpec("operator.data", Role.OPERATOR, "320200000000", "郑", "洁", None, "data"),
    StaffSpec("auditor", Role.AUDITOR, "320200000000", "冯", "正", None, "data"),
    StaffSpec("clerk.dongting", Role.CLERK, "320205001001", "蒋", "华", "SP-320205001001"),
    # Another subdistrict's reviewer and another department's approver: access is checked
    # by area, by department and by level, and the demo shows each.
    StaffSpec("reviewer.dongting", Role.REVIEWER, "320205001000", "韩", "梅"),
    StaffSpec("approver.mca", Role.APPROVER, "320205000000", "沈", "诚", None, "mca"),
    StaffSpec("security.officer", Role.SECURITY, "320200000000", "卫", "宁", None, "data"),
]
# What the security officer does in the admin: the security settings (sensitivity of data
# elements, staff roles, scopes, groups and permissions), and nothing of the catalogue.
SECURITY_OFFICER_PERMISSIONS = [
    SECURITY_PERMISSION,
    "accounts.view_user",
    "accounts.change_user",
    "auth.view_group",
    "auth.change_group",
    "govforms.view_dataelement",
    "govforms.change_dataelement",
]


@dataclass(frozen=True)
class Grant:
    """The Django permissions (for the admin) that the demo gives a role, as one group."""

    group: str
    app_labels: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()


#: What the demo's roles may do in the admin (``govdesk security-table`` prints it).
ROLE_GRANTS: dict[str, Grant] = {
    Role.OPERATOR: Grant("数据局 catalogue", app_labels=("catalog", "govforms")),
    Role.SECURITY: Grant("数据局 security", permissions=tuple(SECURITY_OFFICER_PERMISSIONS)),
}

LI_HONGMEI = "320205197405120027"
ZHANG_WEI = "320205197804160018"
WANG_JIANGUO = "320205196803090017"
CHEN_GUILAN = "32020519700815002X"
WANG_LEI = "320205199502070032"
ZHOU_TING = "320213198501030026"
WANG_ZIHAN = "320205201206010019"
SUN_JIZHEN = "320205193909210044"
PERSONA_NUMBERS = [
    LI_HONGMEI,
    ZHANG_WEI,
    WANG_JIANGUO,
    CHEN_GUILAN,
    WANG_LEI,
    ZHOU_TING,
    WANG_ZIHAN,
    SUN_JIZHEN,
]
POLICE = "无锡市公安局锡山分局"
HRSS_CITY = "无锡市人力资源和社会保障局"


def regions_load() -> dict[str, Region]:
    made: dict[str, Region] = {}
    for code, name, level, parent in REGIONS:
        made[code] = region_upsert(
            code=code, name=name, level=level, parent=made[parent] if parent else None
        )
    return made


def staff_load(regions: dict[str, Region], password: str) -> None:
    points = {
        code: service_point_upsert(
            code=code,
            name=name,
            region=regions[region],
            address=addr,
            opening_hours="周一至周五 8:30-17:00",
        )
        for code, name, region, addr in SERVICE_POINTS
    }
    departments = {
        code: department_upsert(code=code, name=name, short_name=short, region=regions[region])
        for code, name, short, region in DEPARTMENTS
    }
    holders: dict[str, list[User]] = {role: [] for role in ROLE_GRANTS}
    for spec in STAFF:
        user = staff_user_upsert(
            username=spec.username,
            password=password,
            role=spec.role,
            jurisdiction=regions[spec.region],
            first_name=spec.first_name,
            last_name=spec.last_name,
            service_point=points[spec.service_point] if spec.service_point else None,
            department=departments[spec.department] if spec.department else None,
        )
        if spec.role in holders:
            holders[spec.role].append(user)
    for role, grant in ROLE_GRANTS.items():
        group_grant(
            name=grant.group,
            app_labels=grant.app_labels,
            permissions=grant.permissions,
            users=holders[role],
        )


def _id_card(number: str, issued: date, until: date | None) -> dict[str, object]:
    return {
        "type": LicenceType.ID_CARD,
        "number": number,
        "issuer": POLICE,
        "issued_on": issued,
        "valid_until": until,
    }


def personas_load(regions: dict[str, Region]) -> None:
    chunlei = regions[CHUNLEI]
    li = person_upsert(
        id_number=LI_HONGMEI,
        name="李红梅",
        phone="13861701234",
        education="高中",
        marital_status="已婚",
        occupation="无业",
    )
    zhang = person_upsert(
        id_number=ZHANG_WEI,
        name="张伟",
        phone="13961805678",
        education="大专",
        marital_status="已婚",
        occupation="仓储管理员",
    )
    household_upsert(
        number="320205005001017",
        address="无锡市锡山区云林街道春雷新村8幢2单元301室",
        region=chunlei,
        estate="春雷新村",
        members=[(zhang, "head", date(2003, 6, 1)), (li, "spouse", date(2003, 6, 1))],
    )
    licence_upsert(person=li, **_id_card(LI_HONGMEI, date(2019, 7, 2), None))  # type: ignore[arg-type]
    licence_upsert(person=zhang, **_id_card(ZHANG_WEI, date(2016, 3, 10), date(2036, 3, 10)))  # type: ignore[arg-type]
    licence_upsert(
        person=zhang,
        type=LicenceType.HOUSEHOLD_REGISTER,
        number="320205005001017",
        issuer=POLICE,
        issued_on=date(2003, 6, 1),
        data={"household": "320205005001017"},
    )
    licence_upsert(
        person=li,
        type=LicenceType.HOUSEHOLD_REGISTER,
        number="320205005001017-2",
        issuer=POLICE,
        issued_on=date(2003, 6, 1),
        data={"household": "320205005001017", "page": "常住人口登记卡"},
    )
    licence_upsert(
        person=li,
        type=LicenceType.SOCIAL_SECURITY_CARD,
        number="D32020519A",
        issuer=HRSS_CITY,
        issued_on=date(2018, 4, 20),
        data={
            "bank": "江苏银行",
            "bank_account": "6214960012345678901",
            "card_generation": "第三代社保卡",
        },
    )
    licence_upsert(
        person=zhang,
        type=LicenceType.SOCIAL_SECURITY_CARD,
        number="D32020519B",
        issuer=HRSS_CITY,
        issued_on=date(2018, 4, 20),
        data={"bank": "中国工商银行", "bank_account": "6222021103001234567"},
    )
    employment_records_set(
        person=li,
        spells=[
            (EMPLOYERS[0][0], EMPLOYERS[0][1], date(1996, 3, 1), date(2011, 12, 31), "合同到期"),
            (
                EMPLOYERS[1][0],
                EMPLOYERS[1][1],
                date(2012, 3, 1),
                date(2026, 9, 30),
                "用人单位解除劳动合同",
            ),
        ],
    )
    employment_records_set(
        person=zhang,
        spells=[
            (EMPLOYERS[2][0], EMPLOYERS[2][1], date(2015, 5, 1), None, ""),
        ],
    )
    registry_fact_set(
        person=li,
        element="insurance.pension_status",
        value="中断缴费",
        source=Source.SOCIAL_SECURITY,
        valid_from=date(2026, 10, 1),
    )
    registry_fact_set(
        person=li,
        element="insurance.medical_status",
        value="中断缴费",
        source=Source.MEDICAL_INSURANCE,
        valid_from=date(2026, 10, 1),
    )
    registry_fact_set(
        person=zhang,
        element="insurance.pension_status",
        value="正常参保",
        source=Source.SOCIAL_SECURITY,
        valid_from=date(2015, 5, 1),
    )

    wang = person_upsert(
        id_number=WANG_JIANGUO,
        name="王建国",
        phone="13506171234",
        education="初中",
        marital_status="已婚",
        occupation="个体经营",
    )
    chen = person_upsert(
        id_number=CHEN_GUILAN,
        name="陈桂兰",
        phone="13771505678",
        education="小学",
        marital_status="已婚",
        occupation="退休",
    )
    lei = person_upsert(
        id_number=WANG_LEI,
        name="王磊",
        phone="18861801234",
        education="大学本科",
        marital_status="已婚",
        occupation="工程师",
    )
    zhou = person_upsert(
        id_number=ZHOU_TING,
        name="周婷",
        phone="18951505678",
        education="大学本科",
        marital_status="已婚",
        occupation="教师",
    )
    zihan = person_upsert(
        id_number=WANG_ZIHAN,
        name="王子涵",
        education="初中",
        marital_status="未婚",
        occupation="学生",
    )
    sun = person_upsert(
        id_number=SUN_JIZHEN,
        name="孙𠮷珍",
        education="文盲或半文盲",
        marital_status="丧偶",
        occupation="无",
    )
    household_upsert(
        number="320205005001003",
        address="无锡市锡山区云林街道春雷苑3幢1单元602室",
        region=chunlei,
        estate="春雷苑",
        members=[
            (wang, "head", date(1995, 10, 1)),
            (chen, "spouse", date(1995, 10, 1)),
            (lei, "son", date(1995, 10, 1)),
            (zhou, "daughter_in_law", date(2011, 5, 20)),
            (zihan, "grandson", date(2012, 6, 15)),
            (sun, "mother", date(1995, 10, 1)),
        ],
    )
    for person, issued, until in (
        (wang, date(2015, 8, 1), None),
        (chen, date(2016, 9, 1), None),
        (lei, date(2021, 2, 1), date(2041, 2, 1)),
        (zhou, date(2020, 1, 5), date(2040, 1, 5)),
        (zihan, date(2022, 7, 1), date(2027, 7, 1)),
        (sun, date(2010, 5, 1), None),
    ):
        licence_upsert(person=person, **_id_card(person.id_number, issued, until))  # type: ignore[arg-type]
    licence_upsert(
        person=wang,
        type=LicenceType.HOUSEHOLD_REGISTER,
        number="320205005001003",
        issuer=POLICE,
        issued_on=date(1995, 10, 1),
        data={"household": "320205005001003"},
    )
    licence_upsert(
        person=wang,
        type=LicenceType.SOCIAL_SECURITY_CARD,
        number="D32020519C",
        issuer=HRSS_CITY,
        issued_on=date(2017, 1, 9),
        data={"bank": "无锡农村商业银行", "bank_account": "6230880012345678902"},
    )
    # 孙𠮷珍 already holds the senior citizen card (so she is not offered it again); like every
    # persona she is not on 低保 and has no disability on record (civil affairs and the
    # federation answer "none" for her).
    licence_upsert(
        person=sun,
        type=LicenceType.ELDERLY_CARD,
        number="320205-LY-2004-000318",
        issuer="无锡市锡山区民政局",
        issued_on=date(2004, 10, 8),
        data={"card": "江苏省老年人优待证"},
    )
    registry_fact_set(
        person=sun,
        element="insurance.pension_status",
        value="领取待遇",
        source=Source.SOCIAL_SECURITY,
        valid_from=date(2000, 1, 1),
    )
    employment_records_set(
        person=lei,
        spells=[
            (EMPLOYERS[4][0], EMPLOYERS[4][1], date(2017, 7, 1), None, ""),
        ],
    )


def catalogue_load() -> None:
    """The catalogue, the data element dictionary and the form definitions."""
    report = catalog_load()
    forms_load(version=report.version)


@transaction.atomic
def demo_load(*, password: str, people: int, seed: int = 2026) -> int:
    """Everything the demo needs. Returns the number of synthetic people added."""
    catalogue_load()
    regions = regions_load()
    demo_pki_load()  # the demo CA and a signing key per issuing organisation
    staff_load(regions, password)
    personas_load(regions)
    communities = [r for r in regions.values() if r.level == RegionLevel.COMMUNITY]
    return population_generate(
        count=people, seed=seed, communities=communities, reserved=PERSONA_NUMBERS
    )
