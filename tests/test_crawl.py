"""A crawl of every page a real clerk or resident reaches by following links.

Each demo role — the clerk, the reviewer and the approver of F1, a clerk of another community,
and the residents 王建国 and 李红梅 signed in through the portal with the demo SMS code —
starts from their home page (and from the pages of one application in each status and of one
bundle) and follows the site's ``<a href>`` links, in Simplified Chinese and in English. Pages
of one shape (``/matters/<code>/``) are visited three times at most, so the crawl stays
bounded (and under a minute).

On every page, in the visible text (HTML without tags, attributes, scripts and styles):
- no raw code: no data element key (``employment.flexible_type``) or other snake_case
  identifier; on a Chinese page, no code word of the platform (sources such as ``derived``,
  lifecycle values such as ``submitted``, roles, relations …); no status badge in its code;
- no full ID number (18 characters, check digit right) and no 11-digit mobile number other
  than the viewer's own.
"""

from __future__ import annotations

import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client

from govdesk.accounts.models import User
from govdesk.applications import services
from govdesk.applications.lifecycle import Action, Status
from govdesk.applications.models import Application, BundleRun, Channel
from govdesk.common.idnumbers import is_valid
from govdesk.common.principal import Principal
from govdesk.common.roles import Role
from govdesk.forms.models import DataElement
from govdesk.people.models import Person, Relation, Source
from govdesk.presentation.values import MATERIAL_LABELS, SOURCE_KIND_LABELS
from tests.conftest import CERTIFICATE_MATTER, PASSPHRASE
from tests.test_portal import sign_in

pytestmark = pytest.mark.django_db

LI, WANG = "320205197405120027", "320205196803090017"
F1 = "BUNDLE-EMPLOYMENT-DIFFICULTY"
STAFF = ("clerk.chunlei", "reviewer.yunlin", "approver.hrss", "clerk.dongting")
RESIDENTS = (WANG, LI)
LANGUAGES = ("zh-hans", "en")
#: Pages a crawl of one role in one language visits at most, and pages of one shape.
MAX_PAGES, PER_SHAPE = 50, 3
#: The search box and the question box (forms, not links), asked as a resident would.
SEARCHES = (
    "/search/?q=" + quote("水电 人口 证明"),
    "/search/?q=" + quote("shuidian"),
    "/ask/?q=" + quote("社区能开亲属关系证明吗"),
)
#: Not pages: files, actions, other apps.
SKIP = re.compile(r"^/(static|media|admin|api)/|\.pdf$|/download/$|/logout/$|/signout/$")

#: Words that are codes of the platform, never text for a reader of Chinese.
CODE_WORDS = frozenset(
    {
        *Status.values,
        *Action.values,
        *SOURCE_KIND_LABELS,
        *MATERIAL_LABELS,
        *Role.values,
        *Channel.values,
        *Relation.values,
        *Source.values,
        "employed",
        "unemployed",
        "resident",
        "staff",
    }
)
CODE_WORD = re.compile(r"(?<![A-Za-z.])(" + "|".join(sorted(CODE_WORDS)) + r")(?![A-Za-z])")
SNAKE = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
STATUS_BADGE = re.compile(r'class="status[ "][^>]*>\s*([^<]*?)\s*<')


class _Page(HTMLParser):
    """The visible text and the links of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "template"}:
            self.hidden += 1
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"} and self.hidden:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.text.append(data)


def read(html: str) -> tuple[str, list[str]]:
    parser = _Page()
    parser.feed(html)
    return " ".join(" ".join(parser.text).split()), parser.links


def shape(url: str) -> str:
    """``/matters/HRSS-001/`` and ``/matters/CERT-…/`` have one shape: ``/matters/*/``."""
    parts = urlsplit(url)
    segments = [
        "*" if re.search(r"[0-9A-Z]", s) or len(s) > 20 else s for s in parts.path.split("/")
    ]
    keys = sorted(p.split("=", 1)[0] for p in parts.query.split("&") if p)
    return "/".join(segments) + ("?" + "&".join(keys) if keys else "")


@dataclass
class Viewer:
    name: str
    client: Client
    own: set[str] = field(default_factory=set)
    starts: list[str] = field(default_factory=list)


@dataclass
class Finding:
    viewer: str
    language: str
    url: str
    kind: str
    found: str

    def __str__(self) -> str:
        return f"{self.viewer} [{self.language}] {self.url}: {self.kind}: {self.found}"


@dataclass
class Crawl:
    keys: frozenset[str]
    usernames: tuple[str, ...]
    findings: list[Finding] = field(default_factory=list)
    pages: int = 0

    def check(self, viewer: Viewer, language: str, url: str, html: str) -> list[str]:
        text, links = read(html)
        found: list[tuple[str, str]] = []
        words = [w for w in re.findall(r"[a-z][a-z0-9_.]*[a-z0-9]", text) if "." in w]
        found += [("data element key", w) for w in words if w in self.keys]
        found += [("snake_case code", m) for m in SNAKE.findall(text)]
        found += [
            ("status badge in code", m)
            for m in STATUS_BADGE.findall(html)
            if unescape(m) in Status.values
        ]
        if language != "en":
            plain = text
            for username in self.usernames:
                plain = plain.replace(username, " ")
            found += [("code word", m) for m in CODE_WORD.findall(plain)]
        found += [
            ("full ID number", m)
            for m in ID_NUMBER.findall(text)
            if is_valid(m) and m not in viewer.own
        ]
        found += [("mobile number", m) for m in MOBILE.findall(text) if m not in viewer.own]
        for kind, what in dict.fromkeys(found):
            self.findings.append(Finding(viewer.name, language, url, kind, what))
        return links

    def run(self, viewer: Viewer, language: str) -> None:
        viewer.client.cookies["django_language"] = language
        headers = {"Accept-Language": language}
        queue = deque(viewer.starts)
        seen: set[str] = set(viewer.starts)
        shapes: Counter[str] = Counter()
        visited = 0
        while queue and visited < MAX_PAGES:
            url = queue.popleft()
            start = url in viewer.starts
            if not start and shapes[shape(url)] >= PER_SHAPE:
                continue
            shapes[shape(url)] += 1
            visited += 1
            response = viewer.client.get(url, headers=headers)
            assert response.status_code < 500, (viewer.name, url, response.status_code)
            targets: list[str] = []
            if response.status_code in {301, 302}:
                targets = [str(response["Location"])]
            elif "text/html" in response.get("Content-Type", ""):
                targets = self.check(viewer, language, url, response.content.decode())
            for target in targets:
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                    continue
                link = parts.path + (f"?{parts.query}" if parts.query else "")
                if SKIP.search(parts.path) or link in seen:
                    continue
                seen.add(link)
                queue.append(link)
        self.pages += visited


def _staff(username: str) -> Principal:
    return Principal(kind="staff", user=User.objects.get(username=username))


def one_in_each_status() -> tuple[list[Application], BundleRun]:
    """F1's bundle for 李红梅 (submitted; its first step accepted and passed first review by
    the subdistrict, waiting for the district approver), 王建国's certificate applications,
    one in each other status, and an application each started online by the resident."""
    clerk, reviewer = _staff("clerk.chunlei"), _staff("reviewer.yunlin")
    # What residents do themselves (first: the clerk's applications below would be the ones
    # under way): 王建国 applies online and submits; 李红梅 types a value the registries lack,
    # online, which the bundle's screen then shows as given by her.
    wang = Principal(kind="resident", person=Person.objects.get(id_number=WANG))
    online = services.application_start_or_resume(
        principal=wang, matter_code=CERTIFICATE_MATTER, applicant=WANG, channel=Channel.ONLINE
    )
    services.application_submit(principal=wang, application_id=online.pk)
    li = Principal(kind="resident", person=Person.objects.get(id_number=LI))
    enrolment = services.application_start_or_resume(
        principal=li, matter_code="HRSS-005", applicant=LI, channel=Channel.ONLINE
    )
    services.application_update(
        principal=li, application_id=enrolment.pk, fields={"person.skill_level": "电工四级"}
    )
    run = services.bundle_start(principal=clerk, bundle_code=F1, applicant=LI)
    steps = list(run.applications.order_by("step"))
    services.application_update(
        principal=clerk,
        application_id=steps[2].pk,
        fields={"insurance.contribution_grade": "60%", "employment.flexible_type": "个体经营"},
    )
    for step in steps:
        services.application_submit(principal=clerk, application_id=step.pk)
    services.application_act(principal=clerk, application_id=steps[0].pk, action="accept")
    services.application_act(principal=reviewer, application_id=steps[0].pk, action="approve")
    made = [Application.objects.get(pk=steps[0].pk)]
    paths = {
        Status.DRAFT: [],
        Status.SUBMITTED: [("submit", clerk)],
        Status.ACCEPTED: [("submit", clerk), ("accept", clerk)],
        Status.RETURNED: [("submit", clerk), ("return", clerk)],
        Status.REFUSED: [("submit", clerk), ("accept", clerk), ("refuse", reviewer)],
        Status.APPROVED: [("submit", clerk), ("accept", clerk), ("approve", reviewer)],
        Status.COMPLETED: [
            ("submit", clerk),
            ("accept", clerk),
            ("approve", reviewer),
            ("complete", clerk),
        ],
    }
    for status, path in paths.items():
        application = services.application_create(
            principal=clerk,
            matter_code=CERTIFICATE_MATTER,
            applicant=WANG,
            channel=Channel.ONLINE if status == Status.DRAFT else Channel.WINDOW,
        )
        for action, who in path:
            if action == "submit":
                services.application_submit(principal=who, application_id=application.pk)
            else:
                services.application_act(
                    principal=who,
                    application_id=application.pk,
                    action=action,
                    comment="材料不齐，请补正" if action in {"return", "refuse"} else "",
                )
        if status == Status.COMPLETED:  # its certificate, issued (an approved one whose
            # certificate is issued completes itself, so the approved one keeps waiting)
            services.application_outcomes_run(application_id=application.pk)
        application.refresh_from_db()
        assert application.status == status, (status, application.status)
        made.append(application)
    made += [Application.objects.get(pk=online.pk), Application.objects.get(pk=enrolment.pk)]
    assert {a.status for a in made} == set(Status)
    return made, run


def test_every_page_reached_by_links_shows_no_raw_code_and_no_full_number(
    settings: Any, pki_dir: Path
) -> None:
    settings.DEMO_SMS_ON_SCREEN = True
    settings.PKI_DIR = pki_dir
    settings.SIGNING_KEY_PASSPHRASE = PASSPHRASE
    started = time.monotonic()
    applications, run = one_in_each_status()
    issued = [a.outcome["certificate"] for a in applications if "certificate" in a.outcome]
    assert len(issued) == 1 and all(c.get("number") for c in issued), issued
    verify = [urlsplit(c["verify_url"]).path for c in issued]
    viewers: list[Viewer] = []
    for username in STAFF:
        client = Client()
        client.force_login(User.objects.get(username=username))
        people = [
            str(client.post("/staff/people/find/", {"id_number": n})["Location"]) for n in RESIDENTS
        ]
        starts = ["/staff/", *people, f"/staff/bundles/{run.pk}/", *verify]
        starts += [f"/staff/applications/{a.pk}/" for a in applications]
        viewers.append(Viewer(username, client, starts=starts))
    for id_number in RESIDENTS:
        client = Client()
        sign_in(client, id_number)
        person = Person.objects.get(id_number=id_number)
        own = {id_number, person.phone}
        mine = [f"/me/applications/{a.pk}/" for a in applications if a.applicant_id == person.pk]
        starts = ["/", "/me/", "/me/certificates/", *mine, *verify, *SEARCHES]
        viewers.append(Viewer(person.name, client, own=own, starts=starts))

    crawl = Crawl(
        keys=frozenset(DataElement.objects.values_list("key", flat=True)),
        usernames=STAFF,
    )
    for viewer in viewers:
        for language in LANGUAGES:
            crawl.run(viewer, language)
    took = time.monotonic() - started
    report = "\n".join(sorted({str(f) for f in crawl.findings}))
    if crawl.findings:
        pytest.fail(f"{len(crawl.findings)} findings on {crawl.pages} pages:\n{report}")
    assert crawl.pages >= 100, crawl.pages
    assert took < 60, f"the crawl took {took:.0f} s"
