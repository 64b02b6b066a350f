"""The public catalogue over the API: search, guides, bundles, certificate lists, Q&A."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from govdesk.catalog.models import Matter, SearchLog

CORE = (
    "失业登记 就业登记 就业困难人员认定 《就业创业证》申领 灵活就业人员参保登记 "
    "灵活就业人员社会保险补贴申领 失业保险金申领 城乡居民基本养老保险参保登记 "
    "城乡居民基本养老保险待遇申领 社会保障卡申领 社会保障卡补换 公益性岗位补贴申领 "
    "一次性创业补贴申领 创业担保贷款申请 职业技能培训补贴申领 个人社保权益记录打印 "
    "最低生活保障申请 特困人员救助供养申请 临时救助申请 低保边缘家庭认定 困难残疾人生活补贴申请 "
    "重度残疾人护理补贴申请 高龄津贴申领 经济困难老年人养老服务补贴申请 老年人优待证办理 "
    "事实无人抚养儿童认定 基本殡葬服务费用减免 城乡居民基本医疗保险参保登记 新生儿参保登记 "
    "异地就医备案 门诊慢特病待遇认定 医疗救助申请 生育津贴申领 医疗费用零星报销 残疾人证申领 "
    "残疾人辅助器具适配申请 计划生育家庭特别扶助金申领 退役军人优待证申领 公共租赁住房申请 "
    "居住证申领 常住人口信息证明 居住证明"
).split()


def test_catalogue_is_complete(db: None, world: Any) -> None:
    names = set(Matter.objects.filter(published=True).values_list("name", flat=True))
    assert len(names) >= 92
    assert not [n for n in CORE if n not in names]
    assert Matter.objects.values("department").distinct().count() >= 6
    for matter in Matter.objects.filter(published=True).prefetch_related("materials"):
        assert matter.conditions and matter.steps and matter.legal_basis, matter.code
        assert matter.materials.exists(), matter.code
        assert matter.where and matter.outcome and matter.fee, matter.code


def test_search_api_best_first_with_reasons(client: Client, db: None, world: Any) -> None:
    body = client.get("/api/v1/matters", {"q": "水电 人口 证明", "limit": "10"}).json()
    first = body["results"][0]
    assert first["name"] == "常住人口信息证明" and first["kind"] == "certificate"
    assert set(first) >= {"code", "name", "department", "kind", "why"} and first["why"]
    assert SearchLog.objects.filter(query="水电 人口 证明").exists()


def test_empty_query_lists_all(client: Client, db: None, world: Any) -> None:
    body = client.get("/api/v1/matters", {"q": "", "limit": "500"}).json()
    kinds = {r["kind"] for r in body["results"]}
    assert kinds == {"matter", "bundle", "certificate", "forbidden"}
    assert len(body["results"]) >= 92


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sydj", "失业登记"),
        ("shiyedengji", "失业登记"),
        ("低宝", "最低生活保障申请"),
        ("異地就醫備案", "异地就医备案"),
        ("失业金", "失业保险金申领"),
        ("亲属关系证明", "亲属关系"),
    ],
)
def test_search_understands(
    client: Client, db: None, world: Any, query: str, expected: str
) -> None:
    results = client.get("/api/v1/matters", {"q": query, "limit": "3"}).json()["results"]
    assert expected in [r["standard_name"] for r in results]


def test_guide_and_not_found(client: Client, db: None, world: Any) -> None:
    guide = client.get("/api/v1/matters/HRSS-001").json()
    assert guide["name"] == "失业登记"
    assert guide["materials"] and any(m["fetched_by_platform"] for m in guide["materials"])
    assert guide["steps"] and guide["time_limit_days"] >= 0
    assert client.get("/api/v1/matters/NOPE-999").status_code == 404


def test_guide_in_three_languages(client: Client, db: None, world: Any) -> None:
    en = client.get("/api/v1/matters/HRSS-001", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["name"] == "Unemployment registration"
    hant = client.get(
        "/api/v1/matters/CERT-RESIDENT-POPULATION", HTTP_ACCEPT_LANGUAGE="zh-hant"
    ).json()
    assert "證明" in hant["name"]


def test_bundles(client: Client, db: None, world: Any) -> None:
    bundles = client.get("/api/v1/bundles").json()
    assert len(bundles) >= 6
    f1 = client.get("/api/v1/bundles/BUNDLE-EMPLOYMENT-DIFFICULTY").json()
    assert f1["steps"][0]["name"] == "失业登记"


def test_certificate_lists(client: Client, db: None, world: Any) -> None:
    lists = client.get("/api/v1/certificate-types").json()
    assert "常住人口信息证明" in [c["standard_name"] for c in lists["allowed"]]
    assert len(lists["forbidden"]) == 20
    assert all(item["instead"] for item in lists["forbidden"])


def test_ask_answers_and_admits_ignorance(client: Client, db: None, world: Any) -> None:
    answer = client.get("/api/v1/ask", {"q": "社区可以开亲属关系证明吗？"}).json()
    assert answer["answered"] and answer["cites"]
    assert client.get("/api/v1/ask", {"q": "老人高龄补贴怎么领"}).json()["cites"]
    unknown = client.get("/api/v1/ask", {"q": "火星签证怎么办"}).json()
    assert unknown["answered"] is False and unknown["answer"]


def test_search_results_in_english(client: Client, db: None, world: Any) -> None:
    body = client.get(
        "/api/v1/matters", {"q": "失业登记", "limit": "3"}, headers={"Accept-Language": "en"}
    ).json()
    top = body["results"][0]
    assert top["standard_name"] == "失业登记"
    assert top["name"] == "Unemployment registration"
    assert top["department"] == "Human Resources and Social Security Bureau"


def test_forbidden_items_name_their_department(client: Client, db: None, world: Any) -> None:
    body = client.get("/api/v1/matters", {"q": "亲属关系证明", "limit": "3"}).json()
    forbidden = next(r for r in body["results"] if r["kind"] == "forbidden")
    assert forbidden["department"] and forbidden["department"].isascii() is False


def test_categories_in_english(client: Client, db: None, world: Any) -> None:
    guide = client.get("/api/v1/matters/HRSS-001", headers={"Accept-Language": "en"}).json()
    assert guide["category"] == "Employment and starting a business"
    chinese = client.get("/api/v1/matters/HRSS-001").json()
    assert chinese["category"] == "就业创业"
    hant = client.get("/api/v1/matters/HRSS-001", headers={"Accept-Language": "zh-hant"}).json()
    assert hant["category"] == "就業創業"


def test_every_category_has_an_english_name() -> None:
    from pathlib import Path

    import yaml

    import govdesk.catalog

    data = Path(govdesk.catalog.__file__).resolve().parent / "data"
    named = set((yaml.safe_load((data / "aliases.yaml").read_text()) or {}).get("categories", {}))
    used = {
        str(row.get("category"))
        for path in (data / "matters").glob("*.yaml")
        for row in (yaml.safe_load(path.read_text()) or {}).get("matters") or []
        if row.get("category")
    }
    assert used and used <= named, sorted(used - named)


@pytest.mark.parametrize(
    "path", ["/api/v1/matters/hrss-001", "/api/v1/bundles/x", "/api/v1/matters?limit=null"]
)
def test_parameters_of_the_wrong_form_are_422(client: Client, db: None, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_an_unknown_code_is_404_with_a_code(client: Client, db: None, world: Any) -> None:
    response = client.get("/api/v1/matters/NOPE-999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
