"""PDF rendering with Typst: the name 孙𠮷珍 prints exactly, no tofu is ever issued. No database."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from govdesk.documents import pdf
from govdesk.documents.pdf import FontsMissing, UncoveredCharacters

NAME = "孙𠮷珍"  # 𠮷 is U+20BB7, CJK Extension B
PUA = "\ue000"  # Private Use Area: no font has a glyph
EXT_G = "\U00030000"  # 𰀀, CJK Extension G: neither Noto CJK nor HanaMin has it


def _fonts_or_skip() -> frozenset[int]:
    try:
        return pdf.coverage()
    except FontsMissing as exc:
        pytest.skip(f"fonts for PDFs are not installed: {exc}")


@pytest.fixture(scope="module")
def covered() -> frozenset[int]:
    return _fonts_or_skip()


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} is not installed (Debian package poppler-utils); cannot read PDFs")
    return path


def pdf_text(document: bytes, tmp_path: Path) -> str:
    file = tmp_path / "document.pdf"
    file.write_bytes(document)
    result = subprocess.run(  # noqa: S603 - a fixed tool on a file we wrote
        [_poppler("pdftotext"), "-enc", "UTF-8", str(file), "-"],
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")


def pdf_fonts(document: bytes, tmp_path: Path) -> str:
    file = tmp_path / "fonts.pdf"
    file.write_bytes(document)
    result = subprocess.run(  # noqa: S603 - a fixed tool on a file we wrote
        [_poppler("pdffonts"), str(file)], capture_output=True, check=True
    )
    return result.stdout.decode("utf-8")


def application_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "失业登记申请表",
        "matter": "失业登记",
        "number": "XS-2026-000123",
        "generated_at": "2026-03-02 10:15",
        "department": "锡山区云林街道便民服务中心",
        "sections": [
            {
                "title": "基本信息",
                "fields": [
                    {"label": "姓名", "value": NAME, "source": "人口库"},
                    {"label": "性别", "value": "女", "source": "人口库"},
                    {"label": "公民身份号码", "value": "320205197803150028", "source": "人口库"},
                    {
                        "label": "户籍地址",
                        "value": "江苏省无锡市锡山区云林街道春雷路18号3幢201室",
                        "source": "人口库",
                    },
                    {"label": "联系电话", "value": "", "source": ""},
                    {"label": "文化程度", "value": "高中", "source": "已采集"},
                ],
            },
            {
                "title": "失业情况",
                "fields": [
                    {"label": "原工作单位", "value": "无锡市某纺织有限公司", "source": "社保库"},
                    {"label": "失业时间", "value": "2025-02-28", "source": "社保库"},
                    {"label": "就业意向", "value": "", "source": "本次填写"},
                ],
            },
        ],
        "checkboxes": {
            "就业意向": {"options": ["全职", "灵活就业", "创业"], "chosen": ["灵活就业"]},
        },
        "materials": [
            {"name": "居民身份证", "status": "电子证照已调取"},
            {"name": "劳动合同解除证明", "status": "需提交"},
        ],
        "signature_lines": ["申请人（签字）", "经办人（签字）"],
    }
    data.update(overrides)
    return data


def enrolment_data(chosen: list[str]) -> dict[str, Any]:
    def field(label: str, value: str, source: str) -> dict[str, str]:
        return {"label": label, "value": value, "source": source}

    return {
        "title": "灵活就业人员参保登记表",
        "matter": "灵活就业人员参保登记",
        "number": "XS-2026-000125",
        "generated_at": "2026-03-02 10:21",
        "department": "无锡市锡山区社会保险经办中心",
        "sections": [
            {
                "title": "个人信息",
                "fields": [
                    field("姓名", NAME, "人口库"),
                    field("性别", "女", "人口库"),
                    field("户口性质", "非农业户口", "人口库"),
                    field("公民身份号码", "320205197803150028", "人口库"),
                    field("联系电话", "13912345678", "已采集"),
                    field("现居住地址", "江苏省无锡市锡山区云林街道春雷路18号3幢201室", "人口库"),
                    field("文化程度", "高中", "已采集"),
                    field("开户银行", "中国工商银行无锡锡山支行", "社保卡"),
                ],
            },
            {
                "title": "参保信息",
                "fields": [
                    field("参保起始年月", "2026-04", "推算"),
                    field("缴费基数档次", "60%", "本次填写"),
                    field("缴费方式", "银行代扣", "本次填写"),
                ],
            },
        ],
        "checkboxes": {
            "参保险种": {"options": ["企业职工基本养老保险", "职工基本医疗保险"], "chosen": chosen}
        },
        "materials": [{"name": "居民身份证", "status": "电子证照已调取"}],
        "signature_lines": ["申请人（签字）"],
    }


def qr_svg(url: str) -> str:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="svg", xmldecl=False, scale=4)
    return buffer.getvalue().decode("utf-8")


def certificate_data() -> dict[str, Any]:
    url = "https://govdesk.example/verify/CL-2026-000045"
    return {
        "title": "常住人口信息证明",
        "number": "锡云春证〔2026〕045号",
        "issuer": "无锡市锡山区云林街道春雷社区居民委员会",
        "issued_at": "2026年3月2日",
        "valid_until": "2026年6月1日",
        "address": "江苏省无锡市锡山区云林街道春雷路18号3幢201室",
        "purpose": "申请阶梯水、电、气基数调整",
        "holder": NAME,
        "members": [
            {"name": NAME, "relation": "户主", "id_number_masked": "3202**********0028"},
            {"name": "王建国", "relation": "配偶", "id_number_masked": "3202**********0015"},
            {"name": "王小明", "relation": "子", "id_number_masked": "3202**********0031"},
            {"name": "孙秀英", "relation": "母亲", "id_number_masked": "3202**********0042"},
        ],
        "count": 4,
        "body": f"兹证明{NAME}户现居住于本社区，经核查人口库登记信息，该户常住人口情况如下：",
        "verify_url": url,
        "qr_svg": qr_svg(url),
        "seal_text": "无锡市锡山区云林街道春雷社区居民委员会",
        "generated_at": "2026-03-02 10:30",
    }


# --- coverage -----------------------------------------------------------------------------------


def test_the_name_and_the_form_text_are_covered(covered: frozenset[int]) -> None:
    assert 0x20BB7 in covered
    pdf.check_coverage([NAME, "☑☐（未填写）本表由 govdesk 根据已有数据生成", " \t\n\u200b"])


def test_coverage_is_cached(covered: frozenset[int]) -> None:
    started = time.perf_counter()
    for _ in range(100):
        assert pdf.coverage() is covered
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("char", [PUA, EXT_G])
def test_a_character_no_font_has_is_rejected(covered: frozenset[int], char: str) -> None:
    assert ord(char) not in covered
    with pytest.raises(UncoveredCharacters) as caught:
        pdf.check_coverage(["张三", f"王{char}明", char])
    assert caught.value.characters == [char]
    assert caught.value.code_points == [ord(char)]
    assert f"U+{ord(char):04X}" in str(caught.value)


def test_the_message_lists_characters_and_code_points() -> None:
    error = UncoveredCharacters([PUA, EXT_G, PUA])
    assert error.listing == f"{PUA} (U+E000)、{EXT_G} (U+30000)"
    assert "U+30000" in str(error)


def test_the_module_imports_and_explains_without_django_settings() -> None:
    code = "from govdesk.documents import pdf\nprint(pdf.UncoveredCharacters(['\\ue000']))\n"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(Path(pdf.__file__).resolve().parents[2])
    result = subprocess.run(  # noqa: S603 - this interpreter on fixed code
        [sys.executable, "-c", code], capture_output=True, check=True, env=env, text=True
    )
    assert result.stdout.strip() == (
        "These characters cannot be printed with the installed fonts: \ue000 (U+E000). "
        "Nothing was issued."
    )


def test_render_refuses_before_compiling(
    covered: frozenset[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_compiling(*args: object) -> None:
        raise AssertionError("compiled although a character cannot be printed")

    monkeypatch.setattr(pdf, "_compiler", no_compiling)
    data = application_data(title=f"失业登记申请表{EXT_G}")
    data["sections"][0]["fields"][0]["value"] = f"孙{PUA}珍"
    with pytest.raises(UncoveredCharacters) as caught:
        pdf.render("application_form", data)
    assert caught.value.characters == [EXT_G, PUA]


def test_strings_walks_keys_and_values_but_not_images() -> None:
    data = {"a": ["x", {"b": "y"}, 3, None], "checkboxes": {"参保险种": {}}, "qr_svg": "<svg/>"}
    assert list(pdf.strings(data)) == ["a", "x", "b", "y", "checkboxes", "参保险种", "qr_svg"]


def test_missing_fonts_name_the_debian_packages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVDESK_FONT_PATHS", "/nonexistent/fonts:/also/missing")
    with pytest.raises(FontsMissing) as caught:
        pdf.font_paths()
    assert "fonts-noto-cjk" in str(caught.value)
    assert "fonts-hanazono" in str(caught.value)


def test_font_paths_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOVDESK_FONT_PATHS", f"{tmp_path}:/nonexistent/fonts")
    assert pdf.font_paths() == [tmp_path]
    with pytest.raises(FontsMissing, match="fonts-noto-cjk"):
        pdf.coverage()  # a folder without the template fonts


def test_unknown_templates_are_refused() -> None:
    for name in ("../settings", "nope", "application_form.typ", ""):
        with pytest.raises(ValueError):
            pdf.render(name, {})


# --- rendering ----------------------------------------------------------------------------------


def test_application_form(covered: frozenset[int], tmp_path: Path) -> None:
    document = pdf.render("application_form", application_data())
    assert document.startswith(b"%PDF-")
    text = pdf_text(document, tmp_path)
    for expected in (
        NAME,
        "失业登记申请表",
        "公民身份号码",
        "320205197803150028",
        "江苏省无锡市锡山区云林街道春雷路18号3幢201室",
        "人口库",
        "电子证照已调取",
        "申请人（签字）",
        "XS-2026-000123",
        "本表由 govdesk 根据已有数据生成",
        "2026-03-02 10:15",
    ):
        assert expected in text, expected
    # A checkbox and its option are set apart by a small gap, which pdftotext reads as a space.
    assert "☑ 灵活就业" in text
    assert "☐ 全职" in text


def test_a_missing_value_is_marked_not_left_blank(covered: frozenset[int], tmp_path: Path) -> None:
    data = application_data(materials=[], checkboxes={})
    data["sections"] = [
        {
            "title": "基本信息",
            "fields": [
                {"label": "姓名", "value": NAME, "source": "人口库"},
                {"label": "联系电话", "value": "", "source": ""},
            ],
        }
    ]
    text = pdf_text(pdf.render("application_form", data), tmp_path)
    assert text.count("（未填写）") == 1
    assert "（无需提交材料）" in text

    complete = application_data(materials=[], checkboxes={})
    complete["sections"] = [data["sections"][0] | {"fields": data["sections"][0]["fields"][:1]}]
    assert "（未填写）" not in pdf_text(pdf.render("application_form", complete), tmp_path)


def test_flexible_employment_enrolment(covered: frozenset[int], tmp_path: Path) -> None:
    schemes = ["企业职工基本养老保险", "职工基本医疗保险"]
    text = pdf_text(pdf.render("flexible_employment_enrolment", enrolment_data(schemes)), tmp_path)
    for expected in (
        "灵活就业人员参保登记表",
        NAME,
        "户口性质",
        "非农业户口",
        "现居住地址",
        "☑ 企业职工基本养老保险",
        "☑ 职工基本医疗保险",
        "参保起始年月",
        "2026-04",
        "缴费方式",
        "申请人签名",
        "开户银行",  # a field the paper layout does not know is kept, under 其他信息
        "中国工商银行无锡锡山支行",
        "本表由 govdesk 根据已有数据生成",
    ):
        assert expected in text, expected
    # 专业技术职称/职业技能等级 was not given: the clerk sees it is missing.
    assert "（未填写）" in text

    unchosen = pdf_text(pdf.render("flexible_employment_enrolment", enrolment_data([])), tmp_path)
    assert "☐ 企业职工基本养老保险" in unchosen
    assert "（未选择）" in unchosen


def test_certificate(covered: frozenset[int], tmp_path: Path) -> None:
    text = pdf_text(pdf.render("certificate", certificate_data()), tmp_path)
    for expected in (
        "常住人口信息证明",
        "锡云春证〔2026〕045号",
        f"兹证明{NAME}户现居住于本社区",
        f"申请人：{NAME}",
        "王建国",
        "3202**********0028",
        "常住人口共计：4 人",
        "证明用途：申请阶梯水、电、气基数调整",
        "有效期至：2026年6月1日",
        "2026年3月2日",
        "https://govdesk.example/verify/CL-2026-000045",
    ):
        assert expected in text, expected
    assert text.count(NAME) >= 3


def test_a_character_only_hanamin_b_has_falls_back_to_it(
    covered: frozenset[int], tmp_path: Path
) -> None:
    from fontTools.ttLib import TTCollection

    char = "\U00020001"  # 𠀁, CJK Extension B, absent from Noto CJK
    noto = Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc")
    if not noto.is_file():
        pytest.skip("the Debian fonts-noto-cjk files are not where this test expects them")
    with TTCollection(str(noto), lazy=True) as collection:
        for face in collection.fonts:
            assert ord(char) not in (face.getBestCmap() or {})
    assert ord(char) in covered

    document = pdf.render("certificate", certificate_data() | {"holder": f"王{char}"})
    assert f"申请人：王{char}" in pdf_text(document, tmp_path)
    assert "HanaMinB" in pdf_fonts(document, tmp_path)


def test_one_page_renders_well_under_a_second(covered: frozenset[int]) -> None:
    pdf.render("application_form", application_data())  # compiler and fonts loaded once
    for template, data in (
        ("application_form", application_data()),
        ("flexible_employment_enrolment", enrolment_data([])),
        ("certificate", certificate_data()),
    ):
        pdf.render(template, data)
        started = time.perf_counter()
        pdf.render(template, data)
        assert time.perf_counter() - started < 1.0, template
