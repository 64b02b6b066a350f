"""The staff workbench (Django test client): F1 at the window, access, errors, queues."""

from __future__ import annotations

import base64
import binascii
import importlib
import re
import time
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

from govdesk.accounts.models import User
from govdesk.applications.models import Application, ApplicationEvent, BundleRun
from govdesk.audit.actions import AuditAction
from govdesk.audit.models import AuditEvent
from govdesk.common.idnumbers import make
from govdesk.forms.models import CapturedFact
from govdesk.workbench import personrefs
from tests.conftest import staff_client

LI = "320205197405120027"
BUNDLE = "BUNDLE-EMPLOYMENT-DIFFICULTY"
STEPS = ["失业登记", "就业困难人员认定", "灵活就业人员参保登记", "灵活就业人员社会保险补贴申领"]
# What a clerk types for the facts the system cannot know.
ANSWERS = {
    "insurance.contribution_grade": "60%",
    "employment.flexible_type": "个体经营",
    "employment.job_wish": "保洁",
    "person.skill_level": "无",
}
HTMX = {"HX-Request": "true"}
# The bundle screen builds four applications' details through the selectors (prefill, the
# materials checklist and the audit record of each read: about 25 queries a step, constant in
# the number of fields). It measured 103 queries for F1's four steps; 130 leaves room for small
# changes in the domain code but catches any query per field or per row (F1 has 33 rows).
BUNDLE_SCREEN_MAX_QUERIES = 130


@dataclass
class FactForm:
    """An editable row of the once-only form, as the page renders it."""

    key: str
    type: str
    application: str
    version: str
    attention: bool
    value: str = ""
    values: list[str] = field(default_factory=list)

    def post(self, value: Any, **more: Any) -> dict[str, Any]:
        """What the form posts when this row's Save is pressed with ``value`` typed."""
        return {
            "field": self.key,
            f"type:{self.key}": self.type,
            f"target:{self.key}": self.application,
            f"version:{self.application}": self.version,
            f"shown:{self.key}": "1",
            f"fact:{self.key}": value,
            **more,
        }


class _FactParser(HTMLParser):
    """The rows of the one form of the page (``div.fact[data-field]``, each ending with its
    Save button) and the version of each editable step the form carries."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []
        self.versions: dict[str, str] = {}
        self.current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "div" and "fact" in a.get("class", "").split() and a.get("data-field"):
            self.current = {
                "key": a["data-field"],
                "attention": "fact-attention" in a["class"],
                "values": [],
            }
            return
        name = a.get("name", "")
        if tag == "input" and name.startswith("version:"):
            self.versions[name.removeprefix("version:")] = a.get("value", "")
        if self.current is None:
            return
        key = self.current["key"]
        if tag == "button" and name == "field":
            self.rows.append(self.current)
            self.current = None
        elif tag == "input" and name in {f"type:{key}", f"target:{key}"}:
            self.current[name.split(":", 1)[0]] = a.get("value", "")
        elif tag == "input" and name == f"fact:{key}" and a.get("type") == "checkbox":
            if "checked" in a:
                self.current["values"].append(a.get("value", ""))
        elif tag == "input" and name == f"fact:{key}":
            self.current["value"] = a.get("value", "")


class _FormValues(HTMLParser):
    """What a browser posts for the form ``form_id``: its controls with their current values,
    the controls placed elsewhere with ``form="form_id"`` included."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values: list[tuple[str, str]] = []
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None
        self.text = ""

    def _ours(self, a: dict[str, str]) -> bool:
        return a.get("form", self.form_id if self.inside else "") == self.form_id

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        elif tag == "input" and self._ours(a) and a.get("name"):
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            if a.get("type") not in {"submit", "button"}:
                self.values.append((a["name"], a.get("value", "")))
        elif tag == "select" and self._ours(a):
            self.select, self.options = a.get("name", ""), []
        elif tag == "option" and self.select is not None:
            self.options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and self._ours(a):
            self.textarea, self.text = a.get("name", ""), ""

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            self.text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            chosen = [v for v, selected in self.options if selected] or [self.options[0][0]]
            self.values.append((self.select, chosen[0]))
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.values.append((self.textarea, self.text))
            self.textarea = None


def form_values(html: str, form_id: str, **chosen: str) -> dict[str, Any]:
    """The body a browser posts for ``form_id``, with ``chosen`` (``fact:KEY`` → value) set."""
    parser = _FormValues(form_id)
    parser.feed(html)
    body: dict[str, Any] = {}
    for name, value in parser.values:
        body.setdefault(name, []).append(value)
    body.update({name: [value] for name, value in chosen.items()})
    return body


def fact_forms(html: str) -> dict[str, FactForm]:
    parser = _FactParser()
    parser.feed(html)
    return {
        r["key"]: FactForm(
            key=r["key"],
            type=r["type"],
            application=r["target"],
            version=parser.versions[r["target"]],
            attention=r["attention"],
            value=r.get("value", ""),
            values=r["values"],
        )
        for r in parser.rows
    }


def text(response: Any) -> str:
    return str(response.content.decode("utf-8"))


@pytest.fixture
def clerk(world: Any) -> Client:
    return staff_client("clerk.chunlei")


@pytest.fixture
def other_clerk(world: Any) -> Client:
    return staff_client("clerk.dongting")


def person_page(client: Client, number: str, **headers: str) -> Any:
    """The ID box as a clerk uses it: the number posted, the person page at its reference."""
    return client.post("/staff/people/find/", {"id_number": number}, follow=True, headers=headers)


def start_bundle(clerk: Client, idem: str = "k1") -> str:
    response = clerk.post(
        "/staff/bundles/start/", {"bundle": BUNDLE, "applicant": LI, "idem": idem}
    )
    assert response.status_code == 302, text(response)
    location = str(response["Location"])
    assert re.fullmatch(r"/staff/bundles/[0-9a-f-]{36}/", location)
    return location


def save(clerk: Client, url: str, form: FactForm, value: Any) -> Any:
    return clerk.post(f"{url}fields/", form.post(value), headers=HTMX)


def fill_highlighted(clerk: Client, url: str) -> list[str]:
    """Fill what the page highlights, one save at a time, as a clerk would."""
    typed: list[str] = []
    for _ in range(10):
        forms = [f for f in fact_forms(text(clerk.get(url))).values() if f.attention]
        if not forms:
            return typed
        form = forms[0]
        current: Any = form.values if form.type == "multichoice" else form.value
        value = ANSWERS.get(form.key) or current  # a highlighted default is confirmed as is
        response = save(clerk, url, form, value)
        assert response.status_code == 200, text(response)
        assert "Saved:" in text(response)
        typed.append(form.key)
    raise AssertionError(f"still highlighted after {typed}")


# Home, sign-in, the ID box --------------------------------------------------------------


def test_workbench_needs_a_signed_in_member_of_staff(client: Client, world: Any) -> None:
    for url in ("/staff/", "/staff/people/some-reference/", "/staff/people/find/"):
        response = client.get(url)
        assert response.status_code == 302 and "/staff/login/" in response["Location"]
    response = client.post("/staff/people/find/", {"id_number": LI})
    assert response.status_code == 302 and "/staff/login/" in response["Location"]
    assert LI not in response["Location"]
    nobody = User.objects.create_user("no.role", password="x-long-password-1")
    client.force_login(nobody)
    response = client.get("/staff/")
    assert response.status_code == 403


def test_home_has_the_id_box(clerk: Client) -> None:
    page = text(clerk.get("/staff/"))
    assert 'name="id_number"' in page and "<label" in page
    assert 'method="post" action="/staff/people/find/"' in page


def test_id_box_goes_to_the_person_page(clerk: Client) -> None:
    # A scanner types the number and Enter; spaces and a lower-case x are normalised.
    response = clerk.post("/staff/people/find/", {"id_number": " 32020519700815002x "})
    assert response.status_code == 302
    location = str(response["Location"])
    assert re.fullmatch(r"/staff/people/[A-Za-z0-9_-]{20,}/", location), location
    assert "32020519700815002" not in location
    page = clerk.get(location)
    assert page.status_code == 200 and "陈桂兰" in text(page)
    response = clerk.post("/staff/people/find/", {"id_number": "3202/05"})
    assert response.status_code == 422


# The person page ------------------------------------------------------------------------


def test_person_page_shows_person_household_licences_and_suggestion(clerk: Client) -> None:
    response = person_page(clerk, LI)
    assert response.status_code == 200
    page = text(response)
    assert "李红梅" in page and "张伟" in page
    assert "320205********0027" in page and "320205********0018" in page
    assert "Spouse" in page and "Head of household" in page
    for licence in ("Resident identity card", "Household register", "Social security card"):
        assert licence in page
    assert "D3****519A" in page and "Valid long-term" in page
    assert "Employment-difficulty recognition and social insurance subsidy" in page
    assert "Aged 52, left work on 2026-09-30" in page  # why it is suggested
    assert f'value="{BUNDLE}"' in page
    assert "HRSS-001" in page  # the single-matter select
    assert "13861701234" not in page  # the phone is masked


def test_person_page_errors_have_their_status_and_a_clear_message(clerk: Client) -> None:
    response = person_page(clerk, "320205197405120028")
    assert response.status_code == 422
    assert "check digit is wrong" in text(response)
    assert "This ID number is not valid." in text(response)
    unknown = make("320205", date(1990, 1, 1), 998)
    response = person_page(clerk, unknown)
    assert response.status_code == 404
    assert "No person with this ID number is in the registry." in text(response)


def test_other_community_sees_nothing_of_li(clerk: Client, other_clerk: Client) -> None:
    url = start_bundle(clerk)
    run_app = Application.objects.filter(applicant__id_number=LI).order_by("step").first()
    assert run_app is not None
    app_url = f"/staff/applications/{run_app.pk}/"
    checks = [
        (person_page(other_clerk, LI), 403),
        (other_clerk.get(url), 404),
        (other_clerk.get(app_url), 404),
        (other_clerk.get(f"{app_url}form.pdf"), 404),
        (other_clerk.post(f"{url}submit/"), 404),
        (other_clerk.post(f"{url}fields/", {"field": "x"}, headers=HTMX), 404),
        (other_clerk.post(f"{app_url}actions/", {"action": "accept"}), 404),
        (
            other_clerk.post(
                "/staff/bundles/start/", {"bundle": BUNDLE, "applicant": LI, "idem": "o"}
            ),
            403,
        ),
        (other_clerk.get("/staff/"), 200),
    ]
    for response, status in checks:
        assert response.status_code == status, (response.request["PATH_INFO"], status)
        assert "李红梅" not in text(response)
    assert Application.objects.get(pk=run_app.pk).status == "draft"


# No ID number in a URL (hardening issue, item 8) ------------------------------------------


def _person_reads(actor: str) -> int:
    return AuditEvent.objects.filter(action=AuditAction.PERSON_READ, actor=actor).count()


def test_the_person_page_is_reached_by_an_opaque_reference(clerk: Client) -> None:
    response = clerk.post("/staff/people/find/", {"id_number": LI})
    location = str(response["Location"])
    ref = location.split("/")[-2]
    # Neither the number nor any encoding of it: 128 random bits, held in the session.
    assert LI not in location and LI[-6:] not in location
    for decode in (base64.urlsafe_b64decode, base64.b32decode):
        try:
            decoded = decode(ref + "=" * (-len(ref) % 8))
        except (ValueError, binascii.Error):
            continue
        assert LI.encode() not in decoded
    assert clerk.get(location).status_code == 200
    # The same resident found again: the same reference, while it lives.
    again = clerk.post("/staff/people/find/", {"id_number": LI})
    assert again["Location"] == location


def test_no_full_number_in_the_person_page_not_even_in_its_forms(clerk: Client) -> None:
    page = text(person_page(clerk, LI))
    assert "李红梅" in page
    for number in (LI, "320205197804160018", "13861701234"):
        assert number not in page
    assert 'name="applicant"' not in page and 'name="person"' in page


def test_the_person_pages_forms_start_matters_by_reference(clerk: Client) -> None:
    page = text(person_page(clerk, LI))
    ref = re.search(r'name="person" value="([^"]+)"', page)
    assert ref is not None
    response = clerk.post(
        "/staff/bundles/start/", {"bundle": BUNDLE, "person": ref[1], "idem": "by-ref"}
    )
    assert response.status_code == 302, text(response)
    run = BundleRun.objects.get(pk=str(response["Location"]).split("/")[-2])
    assert {a.applicant.id_number for a in run.applications.all()} == {LI}
    response = clerk.post(
        "/staff/applications/start/", {"matter": "HRSS-005", "person": ref[1], "idem": "r2"}
    )
    assert response.status_code == 302, text(response)
    # A reference this session never made starts nothing.
    before = Application.objects.count()
    response = clerk.post(
        "/staff/applications/start/", {"matter": "HRSS-005", "person": "made-up", "idem": "r3"}
    )
    assert response.status_code == 404
    assert Application.objects.count() == before


def test_a_reference_resolves_only_in_the_session_that_made_it(world: Any) -> None:
    first, second = staff_client("clerk.chunlei"), staff_client("clerk.chunlei")
    location = str(first.post("/staff/people/find/", {"id_number": LI})["Location"])
    before = _person_reads("clerk.chunlei")
    response = second.get(location)
    assert response.status_code == 404
    page = text(response)
    assert "This link to a resident has expired." in page and "李红梅" not in page
    assert _person_reads("clerk.chunlei") == before  # nothing was read


def test_a_reference_expires(clerk: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    location = str(clerk.post("/staff/people/find/", {"id_number": LI})["Location"])
    assert clerk.get(location).status_code == 200
    later = time.time() + personrefs.MAX_AGE_SECONDS + 1
    monkeypatch.setattr(personrefs, "_now", lambda: later)
    response = clerk.get(location)
    assert response.status_code == 404 and "李红梅" not in text(response)


def test_a_number_in_the_url_opens_nothing(clerk: Client) -> None:
    """The old address with the number in it is no way in, and is not echoed back."""
    before = _person_reads("clerk.chunlei")
    response = clerk.get(f"/staff/people/{LI}/")
    assert response.status_code == 404
    page = text(response)
    assert "李红梅" not in page and "This link to a resident has expired." in page
    assert f'value="{LI}"' not in page  # the ID box is not filled with it
    assert _person_reads("clerk.chunlei") == before
    assert clerk.get("/staff/people/", {"id_number": LI}).status_code == 404


# F1: the bundle screen ------------------------------------------------------------------


def test_f1_at_the_window(clerk: Client) -> None:
    page = text(person_page(clerk, LI))
    assert f'data-offer="{BUNDLE}"' in page
    url = start_bundle(clerk)
    response = clerk.get(url)
    assert response.status_code == 200
    page = text(response)
    positions = [page.index(name) for name in STEPS]
    assert positions == sorted(positions), "steps in order"
    assert page.count('class="step"') == 4
    # Every data element is shown once, with its source.
    ids = re.findall(r'id="fact-([\w-]+)"', page)
    assert len(ids) == len(set(ids)) and len(ids) > 20
    assert "Population registry" in page and "Social security registry" in page
    assert "Computed" in page
    name_row = page[page.index('id="fact-person-name"') :][:1500]
    assert "李红梅" in name_row and "Population registry" in name_row and "<input" not in name_row
    # Only what the system cannot know is highlighted; it is typed once, on the first step
    # that asks for it, and every later step shows it at once.
    forms = fact_forms(page)
    highlighted = sorted(k for k, f in forms.items() if f.attention)
    assert 2 <= len(highlighted) <= 3, highlighted
    assert "insurance.contribution_grade" in highlighted
    steps = list(Application.objects.filter(applicant__id_number=LI).order_by("step"))
    assert forms["insurance.contribution_grade"].application == str(steps[2].pk)

    typed = fill_highlighted(clerk, url)
    assert sorted(typed) == highlighted
    assert CapturedFact.objects.filter(person__id_number=LI).count() == len(typed)
    page = text(clerk.get(url))
    assert "Nothing is missing" in page
    grade = page[page.index('id="fact-insurance-contribution-grade"') :][:4000]
    assert "Typed in this application" in grade and "Steps 3, 4" in grade

    response = clerk.post(f"{url}submit/")
    assert response.status_code == 302
    page = text(clerk.get(url))
    assert page.count('data-status="submitted"') == 4
    assert "Every step has been submitted." in page
    for step in steps:
        assert f"/staff/applications/{step.pk}/form.pdf" in page
    # A second click finds them submitted: nothing is submitted twice.
    response = clerk.post(f"{url}submit/", follow=True)
    assert "Nothing left to submit" in text(response)
    for step in steps:
        assert ApplicationEvent.objects.filter(application=step, action="submit").count() == 1
        assert Application.objects.get(pk=step.pk).status == "submitted"


def test_f1_submit_saves_what_the_page_carries(clerk: Client) -> None:
    """The natural way: choose the values the system cannot know and press Submit all steps
    once, without each row's Save. The submit saves them first (on the step that asks), then
    submits all four steps; nothing chosen is lost."""
    url = start_bundle(clerk)
    page = text(clerk.get(url))
    assert 'form="facts-form"' in page and 'id="submit-all"' in page
    highlighted = [k for k, f in fact_forms(page).items() if f.attention]
    assert "insurance.contribution_grade" in highlighted, highlighted
    chosen = {f"fact:{k}": ANSWERS[k] for k in highlighted if k in ANSWERS}
    body = form_values(page, "facts-form", **chosen)
    response = clerk.post(f"{url}submit/", body)
    assert response.status_code == 302 and response["Location"] == url
    page = text(clerk.get(url))
    assert page.count('data-status="submitted"') == 4, re.sub(r"<[^>]+>", " ", page)[:3000]
    steps = Application.objects.filter(applicant__id_number=LI)
    assert steps.count() == 4 and all(s.status == "submitted" for s in steps)
    captured = dict(
        CapturedFact.objects.filter(person__id_number=LI).values_list("element", "value")
    )
    assert {f"fact:{k}": captured[k] for k in captured} == chosen
    for step in steps:  # each step's snapshot holds what was chosen
        for name, value in chosen.items():
            key = name.removeprefix("fact:")
            snapshot = step.snapshot or {}
            if key in snapshot:
                assert snapshot[key]["value"] == value, (step.step, key)


def test_a_failed_submit_keeps_the_values_and_names_the_fields(clerk: Client) -> None:
    """One bad value: its step is not submitted (all-or-nothing), the others are; the page is
    reached again by a redirect, names the fields by their labels, keeps every value typed."""
    url = start_bundle(clerk)
    page = text(clerk.get(url))
    body = form_values(
        page,
        "facts-form",
        **{
            "fact:insurance.contribution_grade": "999%",
            "fact:employment.flexible_type": "非全日制就业",
        },
    )
    response = clerk.post(f"{url}submit/", body)
    assert response.status_code == 302 and response["Location"] == f"{url}#workspace"
    page = text(clerk.get(url))
    visible = re.sub(r"<[^>]+>", " ", page)
    assert "Some steps could not be submitted" in visible
    assert "Contribution base grade" in visible and "Choose one of" in visible
    assert "insurance.contribution_grade" not in visible
    assert "employment.flexible_type" not in visible
    assert 'value="非全日制就业" selected' in page  # kept, though its step was not saved
    assert "Changed here but not saved yet." in page
    steps = list(Application.objects.filter(applicant__id_number=LI).order_by("step"))
    assert [s.status for s in steps][:2] == ["submitted", "submitted"]
    assert steps[2].status == "draft"
    assert not CapturedFact.objects.filter(
        person__id_number=LI, element="employment.flexible_type"
    ).exists()
    # Shown once: a reload is the page as it is.
    assert "Some steps could not be submitted" not in text(clerk.get(url))


def test_bundle_screen_query_count(clerk: Client, django_assert_max_num_queries: Any) -> None:
    url = start_bundle(clerk)
    with django_assert_max_num_queries(BUNDLE_SCREEN_MAX_QUERIES):
        response = clerk.get(url)
    assert response.status_code == 200


def test_starting_twice_with_one_key_starts_one_bundle(clerk: Client) -> None:
    before = BundleRun.objects.count()
    first, second = start_bundle(clerk, "same"), start_bundle(clerk, "same")
    assert first == second
    assert BundleRun.objects.count() == before + 1


def test_saving_keeps_other_unsaved_values(clerk: Client) -> None:
    url = start_bundle(clerk)
    forms = fact_forms(text(clerk.get(url)))
    grade, kind = forms["insurance.contribution_grade"], forms["employment.flexible_type"]
    response = clerk.post(
        f"{url}fields/",
        grade.post("80%", **{f"shown:{kind.key}": "1", f"fact:{kind.key}": "非全日制就业"}),
        headers=HTMX,
    )
    assert response.status_code == 200
    page = text(response)
    assert 'id="workspace"' in page and "<html" not in page
    after = fact_forms(page)
    assert "Changed here but not saved yet." in page
    assert 'value="非全日制就业" selected' in page
    assert int(after[grade.key].version) == int(grade.version) + 1


def test_bad_value_and_stale_version_are_explained(clerk: Client) -> None:
    url = start_bundle(clerk)
    forms = fact_forms(text(clerk.get(url)))
    grade = forms["insurance.contribution_grade"]
    response = save(clerk, url, grade, "999%")
    assert response.status_code == 422
    assert "Choose one of" in text(response) and 'aria-invalid="true"' in text(response)
    assert save(clerk, url, grade, "60%").status_code == 200
    kind = forms["employment.flexible_type"]  # the page still holds the old version
    response = save(clerk, url, kind, "个体经营")
    assert response.status_code == 409
    assert "Someone else changed this application" in text(response)
    assert "Reload the page" in text(response)
    assert not CapturedFact.objects.filter(
        person__id_number=LI, element="employment.flexible_type"
    ).exists()
    # Without htmx the same mistake goes back to the page (never left at the POST's address),
    # which says it once, with the value typed.
    grade = fact_forms(text(clerk.get(url)))[grade.key]
    response = clerk.post(f"{url}fields/", grade.post("999%"))
    assert response.status_code == 302
    assert response["Location"] == f"{url}#fact-insurance-contribution-grade"
    page = text(clerk.get(url))
    assert "Choose one of" in page and 'aria-invalid="true"' in page
    assert 'value="999%"' not in page or "Changed here but not saved yet." in page
    assert "Choose one of" not in text(clerk.get(url))  # said once


def test_a_registry_conflict_shows_both_values(clerk: Client) -> None:
    from govdesk.applications import services
    from govdesk.common.principal import Principal

    response = clerk.post(
        "/staff/applications/start/", {"matter": "HRSS-001", "applicant": LI, "idem": "c"}
    )
    assert response.status_code == 302
    app_id = str(response["Location"]).rstrip("/").rsplit("/", 1)[-1]
    principal = Principal(kind="staff", user=User.objects.get(username="clerk.chunlei"))
    services.application_update(  # as typed over the API
        principal=principal, application_id=app_id, fields={"person.phone": "13900000000"}
    )
    page = text(clerk.get(response["Location"]))
    assert "Differs from the registry" in page
    assert "138****1234" in page and "139****0000" in page
    assert "13900000000" not in page and "13861701234" not in page


def test_single_matter_and_materials_checklist(clerk: Client) -> None:
    response = clerk.post(
        "/staff/applications/start/", {"matter": "HRSS-005", "applicant": LI, "idem": "s"}
    )
    assert response.status_code == 302
    url = str(response["Location"])
    page = text(clerk.get(url))
    assert "灵活就业人员参保登记" in page and 'data-status="draft"' in page
    assert "Submit" in page and "Print the form" in page
    app = Application.objects.get(pk=url.rstrip("/").rsplit("/", 1)[-1])
    material = app.matter.materials.filter(required=True).first()
    assert material is not None
    response = clerk.post(
        f"{url}materials/",
        {
            "application": str(app.pk),
            "version": str(app.version),
            "material": material.name,
            "provided": "1",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert material.name in Application.objects.get(pk=app.pk).materials_provided
    response = clerk.post(f"{url}submit/")
    assert response.status_code == 302  # two values still missing: said on the page, by label
    page = text(clerk.get(response["Location"]))
    assert "Some steps could not be submitted" in page
    assert "Contribution base grade — Required." in re.sub(r"<[^>]+>", "", page)
    assert Application.objects.get(pk=app.pk).status == "draft"
    assert clerk.post("/staff/applications/start/", {"applicant": LI}).status_code == 422


# Deciding: queues and actions -----------------------------------------------------------


def test_reviewer_queue_and_decisions(clerk: Client, world: Any) -> None:
    url = start_bundle(clerk)
    fill_highlighted(clerk, url)
    assert clerk.post(f"{url}submit/").status_code == 302
    steps = list(Application.objects.filter(applicant__id_number=LI).order_by("step"))
    home = text(clerk.get("/staff/"))
    assert all(f"/staff/applications/{s.pk}/" in home for s in steps)
    first = steps[0]
    page = text(clerk.get(f"/staff/applications/{first.pk}/"))
    assert 'value="accept"' in page and 'value="return"' in page
    for step in steps:
        version = Application.objects.get(pk=step.pk).version
        response = clerk.post(
            f"/staff/applications/{step.pk}/actions/",
            {"action": "accept", "version": version, "idem": f"a{step.pk}"},
        )
        assert response.status_code == 302, text(response)
    # Accepting again with the same key (a double click) changes nothing.
    response = clerk.post(
        f"/staff/applications/{first.pk}/actions/", {"action": "accept", "idem": f"a{first.pk}"}
    )
    assert response.status_code == 302
    assert ApplicationEvent.objects.filter(application=first, action="accept").count() == 1

    reviewer = staff_client("reviewer.yunlin")
    queue = text(reviewer.get("/staff/"))
    assert all(f"/staff/applications/{s.pk}/" in queue for s in steps)
    assert "李红梅" in queue and "320205********0027" in queue and LI not in queue
    assert "Accepted" in queue

    page = text(reviewer.get(f"/staff/applications/{first.pk}/"))
    assert 'value="approve"' in page and 'value="refuse"' in page
    assert "clerk.chunlei" in page and "Window clerk" in page  # the timeline
    response = reviewer.post(f"/staff/applications/{first.pk}/actions/", {"action": "return"})
    assert response.status_code == 302  # back to the page, which says why, once
    assert response["Location"] == f"/staff/applications/{first.pk}/#actions-h"
    page = text(reviewer.get(f"/staff/applications/{first.pk}/"))
    assert "A reason is required." in page and 'aria-invalid="true"' in page
    assert "A reason is required." not in text(reviewer.get(f"/staff/applications/{first.pk}/"))
    response = reviewer.post(f"/staff/applications/{first.pk}/actions/", {"action": "approve"})
    assert response.status_code == 302
    page = text(reviewer.get(f"/staff/applications/{first.pk}/"))
    assert "Approve: done" in page and 'data-status="reviewed"' in page
    assert "Passed first review" in page
    response = reviewer.post(f"/staff/applications/{first.pk}/actions/", {"action": "approve"})
    assert response.status_code == 302  # not the reviewer's turn any more: said on the page
    assert "You may not" in text(reviewer.get(response["Location"]))
    approver = staff_client("approver.hrss")
    assert f"/staff/applications/{first.pk}/" in text(approver.get("/staff/"))


def _pdf_renderer_imports() -> bool:
    try:
        importlib.import_module("govdesk.documents.pdf")
    except Exception:
        return False
    return True


@pytest.mark.skipif(not _pdf_renderer_imports(), reason="govdesk.documents.pdf does not import")
def test_print_form_link_gives_a_pdf(clerk: Client, other_clerk: Client) -> None:
    url = start_bundle(clerk)
    steps = list(Application.objects.filter(applicant__id_number=LI).order_by("step"))
    assert f"/staff/applications/{steps[0].pk}/form.pdf" in text(clerk.get(url))
    response = clerk.get(f"/staff/applications/{steps[0].pk}/form.pdf")
    assert response.status_code == 200, text(response)
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert other_clerk.get(f"/staff/applications/{steps[0].pk}/form.pdf").status_code == 404


def test_matter_names_follow_the_language(clerk: Client) -> None:
    url = start_bundle(clerk)
    assert "Unemployment registration" in text(clerk.get(url))
    clerk.cookies["django_language"] = "zh-hant"
    page = text(clerk.get(url, headers={"Accept-Language": "zh-hant"}))
    assert "失業登記" in page and "失业登记" not in page
    person = text(person_page(clerk, LI, **{"Accept-Language": "zh-hant"}))
    assert "失業登記" in person
