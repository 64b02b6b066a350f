"""The authorisation matrix: every route × every demo principal × own and other objects.

Every URL the root resolver serves (the API under /api/v1/, the workbench, the portal, the
public verification page; the admin as one row of its own, its rights tested in
tests/test_admin_security.py) has an entry in ``ROUTES``; a route without one fails
``test_every_route_has_an_entry``, naming it.

The objects, each an application (and, where a route needs one, its certificate, its upload,
its bundle) whose applicant and matter differ in one respect from ``own``:

========================  ==============================================================
``own``                   李红梅 of 春雷社区 (云林街道), MCA-001: a district 民政 matter
``other_community``       a resident of 东亭社区 (another subdistrict), the same matter
``other_department``      李红梅, HRSS-016: a district 人社 matter
``other_level``           李红梅, HRSS-010: a 人社 matter decided by the city
========================  ==============================================================

Who may do what is written out below by hand (``READERS``, ``MAY``): the expected cells do
not come from the code under test. An outcome is one of

- ``ALLOW``: done (a change changed the state; a staff read of personal data is audited);
- ``HIDDEN``: not found (404), nothing changed, exactly one ``denied`` audit row;
- ``REFUSED``: the API's and the workbench's 403, or the workbench's redirect-after-POST back
  to the page with its message; nothing changed, exactly one ``denied`` audit row;
- ``SIGN_IN``: the API's 401, or a redirect to the sign-in page; nothing changed.

Tests are parametrised by principal × interface, so a failure names its cell; each reports
every failing cell of its group at once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from typing import Any

import pytest
from django.db.models import Count, Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.applications import services
from govdesk.applications.lifecycle import Status
from govdesk.applications.materials import held_facts, resolve_materials
from govdesk.applications.models import Application, BundleRun, Channel, MaterialUpload
from govdesk.applications.uploads import upload_root
from govdesk.audit.models import AuditEvent
from govdesk.catalog.models import CertificateType, Matter
from govdesk.certificates.models import Certificate
from govdesk.common.idnumbers import make
from govdesk.common.principal import Principal
from govdesk.demo.loader import LI_HONGMEI
from govdesk.organisations.models import Region
from govdesk.people.models import Person
from govdesk.people.services import household_upsert, person_upsert
from govdesk.portal.session import RESIDENT_KEY, SEEN_AT_KEY, SIGNED_IN_AT_KEY
from govdesk.ratings.models import Rating
from govdesk.workbench.forms import PREFIX

pytestmark = pytest.mark.django_db

DONGTING = "320205001001"  # 东亭社区, 东亭街道: another subdistrict of the district
DONG = make("320205", date(1970, 3, 3), 777)
BUNDLE = "BUNDLE-EMPLOYMENT-DIFFICULTY"
TEMPLATE = "household_income_declaration"  # a material template of MCA-001
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Principals ------------------------------------------------------------------------------

ANON = "anonymous"
RESIDENT_LI = "resident.li"  # the applicant of own, other department and other level
RESIDENT_DONG = "resident.dong"  # the applicant of other community
RESIDENTS = {RESIDENT_LI: LI_HONGMEI, RESIDENT_DONG: DONG}
STAFF = (
    "clerk.chunlei",  # window of 春雷社区 (own community)
    "clerk.dongting",  # window of 东亭社区 (another community, another subdistrict)
    "reviewer.yunlin",  # 云林街道 (own subdistrict)
    "reviewer.dongting",  # 东亭街道 (another subdistrict)
    "approver.hrss",  # 锡山区人社局 (district, 人社)
    "approver.mca",  # 锡山区民政局 (district, 民政)
    "operator.data",  # 数据局 (city): catalogue, no personal data
    "auditor",  # 数据局: reads the trail, not applications
    "security.officer",  # 数据局: security settings in the admin, nothing else
)
PRINCIPALS = (ANON, *STAFF, RESIDENT_LI, RESIDENT_DONG)

# Objects and who may read them (by hand) -------------------------------------------------

OBJECTS: dict[str, tuple[str, str]] = {
    "own": (LI_HONGMEI, "MCA-001"),
    "other_community": (DONG, "MCA-001"),
    "other_department": (LI_HONGMEI, "HRSS-016"),
    "other_level": (LI_HONGMEI, "HRSS-010"),
}
ALL_OBJECTS = tuple(OBJECTS)
TEMPLATED = ("own", "other_community")  # MCA-001 has a material template

READERS: dict[str, set[str]] = {
    "own": {"clerk.chunlei", "reviewer.yunlin", "approver.mca", RESIDENT_LI},
    "other_community": {"clerk.dongting", "reviewer.dongting", "approver.mca", RESIDENT_DONG},
    "other_department": {"clerk.chunlei", "reviewer.yunlin", "approver.hrss", RESIDENT_LI},
    "other_level": {"clerk.chunlei", "reviewer.yunlin", "approver.hrss", RESIDENT_LI},
}
#: People (the person's registry card, starting something for them), by applicant.
PEOPLE_OBJECTS = {"own": LI_HONGMEI, "other_community": DONG}
PEOPLE_READERS = {
    "own": {"clerk.chunlei", "reviewer.yunlin", "approver.hrss", "approver.mca"},
    "other_community": {"clerk.dongting", "reviewer.dongting", "approver.hrss", "approver.mca"},
}
STARTERS = {
    "own": {"clerk.chunlei", RESIDENT_LI},
    "other_community": {"clerk.dongting", RESIDENT_DONG},
}
#: A bundle run of each person (BUNDLE: 人社 matters), read by whoever reads all its steps.
BUNDLE_READERS = {
    "own": {"clerk.chunlei", "reviewer.yunlin", "approver.hrss"},
    "other_community": {"clerk.dongting", "reviewer.dongting", "approver.hrss"},
}
BUNDLE_EDITORS = {"own": {"clerk.chunlei"}, "other_community": {"clerk.dongting"}}


def _staff_readers(obj: str) -> set[str]:
    return {p for p in READERS[obj] if p in STAFF}


def _clerks(obj: str) -> set[str]:
    return {p for p in READERS[obj] if p.startswith("clerk.")}


def _reviewers(obj: str) -> set[str]:
    return {p for p in READERS[obj] if p.startswith("reviewer.")}


#: The approver of the matter's department at the matter's level (none in the demo decides
#: for the city).
FINAL: dict[str, set[str]] = {
    "own": {"approver.mca"},
    "other_community": {"approver.mca"},
    "other_department": {"approver.hrss"},
    "other_level": set(),
}

#: Who may take each operation on each object, where reading is not enough.
MAY: dict[str, Callable[[str], set[str]]] = {
    "read": lambda o: READERS[o],
    "staff_read": _staff_readers,
    # The applicant's side: the resident for themselves, the window of their community.
    "edit": lambda o: _clerks(o) | (READERS[o] - set(STAFF)),
    "attest": _clerks,  # only window staff attest materials
    "accept": _clerks,
    "first_review": _reviewers,
    # The approver of the matter's department at the matter's level: none in the demo for a
    # city matter.
    "final": lambda o: FINAL[o],
    # Staff who read it complete it, save an approver of another level.
    "complete": lambda o: _staff_readers(o) - ({"approver.hrss"} if o == "other_level" else set()),
    "retry": _staff_readers,
    # 好差评: the applicant only (staff who read it are refused, never rate for them).
    "rate": lambda o: READERS[o] - set(STAFF),
}

ALLOW, HIDDEN, REFUSED, SIGN_IN, PUBLIC = "allow", "hidden", "refused", "sign-in", "public"


# The world of one test -------------------------------------------------------------------


@dataclass
class World:
    principal: str
    client: Client
    actor: str = ""  # as the audit trail names them
    token: str = ""
    counter: int = 0
    people: dict[str, Person] = field(default_factory=dict)
    matters: dict[str, Matter] = field(default_factory=dict)
    regions: dict[str, Region] = field(default_factory=dict)
    reads: dict[str, Application] = field(default_factory=dict)
    accepted: dict[str, Application] = field(default_factory=dict)
    uploads: dict[str, MaterialUpload] = field(default_factory=dict)
    certificates: dict[str, Certificate] = field(default_factory=dict)
    bundles: dict[str, BundleRun] = field(default_factory=dict)
    person_refs: dict[str, str] = field(default_factory=dict)

    def application(self, obj: str, status: str = Status.DRAFT) -> Application:
        id_number, code = OBJECTS[obj]
        self.counter += 1
        person = self.people[id_number]
        if code not in self.matters:
            self.matters[code] = Matter.objects.select_related("department").get(code=code)
        if id_number not in self.regions:
            self.regions[id_number] = person.membership.household.region
        return Application.objects.create(
            number=f"MX{secrets.token_hex(4)}{self.counter:04d}",
            matter=self.matters[code],
            applicant=person,
            region=self.regions[id_number],
            channel=Channel.WINDOW,
            status=status,
            created_by="matrix",
            submitted_at=None if status == Status.DRAFT else timezone.now(),
            accepted_at=(
                timezone.now() if status not in {Status.DRAFT, Status.SUBMITTED} else None
            ),
            deadline=timezone.localdate() + timedelta(days=10),
        )

    def certificate(self, obj: str) -> Certificate:
        application = self.application(obj, Status.APPROVED)
        pdf = b"%PDF-1.7 matrix"
        return Certificate.objects.create(
            number=f"MX-{secrets.token_hex(6)}",
            type=CertificateType.objects.order_by("pk")[0],
            application=application,
            holder=application.applicant,
            issuer=application.region,
            issuer_name="matrix",
            issued_at=timezone.now(),
            valid_until=timezone.localdate() + timedelta(days=90),
            token=secrets.token_urlsafe(32),
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        )


def _actor(principal: str) -> str:
    if principal in RESIDENTS:
        person = Person.objects.get(id_number=RESIDENTS[principal])
        return Principal(kind="resident", person=person).actor().name
    return principal


def _uploadable(application: Application) -> str:
    """A material of the application that the system does not hold (one to upload)."""
    requirements = list(application.matter.materials.all())
    needed, optional = resolve_materials(
        requirements=requirements,
        held=held_facts(id_number=application.applicant.id_number, requirements=requirements),
        provided=[],
        produced_earlier={},
    )
    return next((m.name for m in [*needed, *optional] if m.from_applicant), "")


def _upload_step(run: BundleRun) -> Application:
    """The first step of a bundle that asks for a material to upload."""
    steps = list(run.applications.order_by("step"))
    return next((a for a in steps if _uploadable(a)), steps[0])


def _world(principal: str, interface: str) -> World:
    dong = person_upsert(id_number=DONG, name="董明", phone="13900001777")
    household_upsert(
        number=f"{DONGTING}777",
        address="无锡市锡山区东亭街道东亭苑1幢1单元101室",
        region=Region.objects.get(code=DONGTING),
        members=[(dong, "head", date(2000, 1, 1))],
    )
    client = Client(headers={"Accept-Language": "en"})
    world = World(principal=principal, client=client, actor=_actor(principal))
    world.people = {p.id_number: p for p in Person.objects.filter(id_number__in=[LI_HONGMEI, DONG])}
    if principal in STAFF:
        if interface == "api":
            world.token = token_create(user=User.objects.get(username=principal))
        else:
            client.force_login(User.objects.get(username=principal))
    elif principal in RESIDENTS:
        person = world.people[RESIDENTS[principal]]
        if interface == "api":
            world.token = token_create(resident=person)
        else:
            session = client.session
            session[RESIDENT_KEY] = person.pk
            session[SIGNED_IN_AT_KEY] = session[SEEN_AT_KEY] = int(time.time())
            session.save()
    for obj in ALL_OBJECTS:
        world.reads[obj] = world.application(obj)
        world.accepted[obj] = world.application(obj, Status.ACCEPTED)
        world.certificates[obj] = world.certificate(obj)
    for obj in TEMPLATED:
        application = world.reads[obj]
        relative = f"matrix/{secrets.token_hex(8)}.png"
        path = upload_root() / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(PNG)
        world.uploads[obj] = MaterialUpload.objects.create(
            application=application,
            material=_uploadable(application),
            content_type="image/png",
            size=len(PNG),
            sha256=hashlib.sha256(PNG).hexdigest(),
            path=relative,
            uploaded_by="matrix",
            uploaded_by_role="clerk",
        )
    if interface == "workbench":
        clerks = {"own": "clerk.chunlei", "other_community": "clerk.dongting"}
        for obj, id_number in PEOPLE_OBJECTS.items():
            clerk = Principal(kind="staff", user=User.objects.get(username=clerks[obj]))
            world.bundles[obj] = services.bundle_start(
                principal=clerk, bundle_code=BUNDLE, applicant=id_number, repeat_reason="matrix"
            )
    return world


# Operations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None = None
    files: dict[str, Any] | None = None


@dataclass(frozen=True)
class Op:
    """One operation of a route on one kind of object.

    ``build(world, obj)`` makes the request (and any fresh object it changes) and returns it
    with what to compare before and after (``state``); ``may`` names the rule of ``MAY``;
    ``objects`` the objects it is tried on (``()``: none, the route takes no object)."""

    interface: str
    build: Callable[[World, str], tuple[Request, Callable[[], Any]]]
    may: str = "read"
    objects: tuple[str, ...] = ALL_OBJECTS
    changes: bool = False  # an allowed cell changes the state
    personal: bool = True  # a staff read of personal data: audited when allowed
    denied_rows: int = 1
    public: bool = False  # anyone: expect ``allowed`` (a status below 400) for everyone
    readers: dict[str, set[str]] | None = None  # instead of READERS, for people and bundles
    allowed_status: tuple[int, ...] = (200, 201)
    label: str = ""
    sign_in_ok: bool = False  # an allowed answer may be the sign-in page


def _app_state(application: Application) -> Callable[[], Any]:
    def state() -> Any:  # one query
        return (
            Application.objects.filter(pk=application.pk)
            .annotate(
                n_events=Count("events", distinct=True), n_uploads=Count("uploads", distinct=True)
            )
            .values_list("status", "version", "materials_provided", "n_events", "n_uploads")
            .get()
        )

    return state


def _counts(*models: Any) -> Callable[[], Any]:
    return lambda: tuple(m.objects.count() for m in models)


def _nothing() -> Any:
    return None


def on_app(
    interface: str,
    method: str,
    suffix: str,
    *,
    status: str = Status.DRAFT,
    body: dict[str, Any] | Callable[[Application], dict[str, Any]] | None = None,
    files: bool = False,
    fresh: bool = False,
    **kwargs: Any,
) -> Op:
    """An operation on one application: ``{prefix}{id}{suffix}``."""
    prefix = {
        "api": "/api/v1/applications/",
        "workbench": "/staff/applications/",
        "portal": "/me/applications/",
    }[interface]

    def build(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
        if fresh:
            application = world.application(obj, status)
        else:
            application = (world.accepted if status == Status.ACCEPTED else world.reads)[obj]
        path = f"{prefix}{application.pk}{suffix}"
        if "{upload}" in path:
            path = path.replace("{upload}", str(world.uploads[obj].pk))
        data = body(application) if callable(body) else body
        upload = None
        if files:
            data = {**(data or {}), "application": str(application.pk)}
            data["material"] = _uploadable(application)
            upload = {"file": ("m.png", PNG)}
        return Request(method, path, data, upload), _app_state(application)

    kwargs.setdefault("changes", fresh)
    return Op(interface, build, **kwargs)


def on_certificate(interface: str, method: str, path: str, **kwargs: Any) -> Op:
    def build(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
        certificate = world.certificates[obj]
        if method == "POST":
            certificate = world.certificate(obj)
        number = certificate.number

        def state() -> Any:
            return Certificate.objects.get(number=number).status

        body = {"reason": "matrix"} if method == "POST" else None
        return Request(method, path.format(number=number), body), state

    return Op(interface, build, changes=method == "POST", **kwargs)


def public(
    interface: str, method: str, path: str | Callable[[World], str], body: Any = None, **kw: Any
) -> Op:
    def build(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
        where = path(world) if callable(path) else path
        return Request(method, where, body), _nothing

    return Op(interface, build, objects=(), public=True, personal=False, **kw)


def on_rating(interface: str, **kwargs: Any) -> Op:
    """Rating a fresh completed application (好差评): the state is its ratings."""
    prefix = {"api": "/api/v1/applications/", "portal": "/me/applications/"}[interface]
    suffix = {"api": "/rating", "portal": "/rating/"}[interface]

    def build(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
        application = world.application(obj, Status.COMPLETED)
        body: dict[str, Any] = {"level": 4} if interface == "api" else {"level": "4"}

        def state() -> Any:
            return Rating.objects.filter(application=application).count()

        return Request("POST", f"{prefix}{application.pk}{suffix}", body), state

    return Op(interface, build, may="rate", changes=True, **kwargs)


#: A friction that does not exist (the matrix's world has none of its own).
NO_FRICTION = "00000000-0000-4000-8000-000000000000"


def signed_in(interface: str, method: str, path: str, body: Any = None, **kw: Any) -> Op:
    """A page of whoever is signed in (a list of their own): no object of anyone else."""

    def build(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
        return Request(method, path, body), _nothing

    return Op(interface, build, objects=(), **kw)


def for_person(interface: str, method: str, path: str, body: Callable[[str], Any], **kw: Any) -> Op:
    """An operation naming a person (by ID number, in the body)."""

    def build(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
        return Request(method, path, body(PEOPLE_OBJECTS[obj])), _counts(Application, BundleRun)

    return Op(interface, build, objects=tuple(PEOPLE_OBJECTS), **kw)


def on_bundle(
    suffix: str, method: str, body: Callable[[BundleRun], Any] | None = None, **kw: Any
) -> Op:
    def build(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
        run = world.bundles[obj]
        apps = list(run.applications.order_by("step"))

        def state() -> Any:
            return [_app_state(a)() for a in apps]

        data = body(run) if body else None
        files = None
        if data is not None and data.pop("_file", False):
            files = {"file": ("m.png", PNG)}
        return Request(method, f"/staff/bundles/{run.pk}/{suffix}", data, files), state

    return Op("workbench", build, objects=tuple(PEOPLE_OBJECTS), readers=BUNDLE_READERS, **kw)


def _first_step(run: BundleRun) -> Application:
    application = run.applications.order_by("step").first()
    assert application is not None
    return application


def _editable_field(application: Application) -> str:
    """A field that may be typed: the note, or the form's first typed text."""
    return _typed_field(application.matter.code)


@cache
def _typed_field(matter_code: str) -> str:
    from govdesk.forms.models import DataElement
    from govdesk.forms.schema import form_for

    fields = form_for(Matter.objects.get(code=matter_code)).fields
    if "application.note" in [f.key for f in fields]:
        return "application.note"
    keys = [f.key for f in fields if f.type == "string"]
    typed = set(
        DataElement.objects.filter(key__in=keys, derived=False).values_list("key", flat=True)
    )
    return next(k for k in keys if k.startswith("employment.") and k in typed)


def _person_page(world: World, obj: str) -> tuple[Request, Callable[[], Any]]:
    """The person page lives at an opaque reference that only this session resolves: the
    workbench's ID box issues it (staff), or nothing does (anyone else)."""
    id_number = PEOPLE_OBJECTS[obj]
    ref = world.person_refs.get(obj)
    if ref is None:
        found = world.client.post("/staff/people/find/", {"id_number": id_number})
        location = found.get("Location", "")
        ref = location.rstrip("/").rsplit("/", 1)[-1] if "/staff/people/" in location else "x"
        world.person_refs[obj] = ref
    return Request("GET", f"/staff/people/{ref}/"), _nothing


def _act(action: str, comment: str = "") -> Callable[[Application], dict[str, Any]]:
    return lambda a: {"action": action, "comment": comment, "version": a.version}


STAFF_ONLY_PEOPLE = "people"

ROUTES: dict[str, list[Op]] = {
    # --- /api/v1/ ------------------------------------------------------------------------
    # The load balancer's health check: no personal data, no one asked who they are.
    "healthz": [public("portal", "GET", "/healthz")],
    # The friction log: anyone signed in reports and lists what is theirs to see; the rows
    # are scoped by tests/test_frictions.py (another community's clerk, a resident).
    "api-v1:report_friction": [
        signed_in(
            "api",
            "POST",
            "/api/v1/frictions",
            {"summary": "", "screen": "/"},
            allowed_status=(201,),
        )
    ],
    "api-v1:list_frictions": [signed_in("api", "GET", "/api/v1/frictions")],
    "api-v1:friction_stats": [signed_in("api", "GET", "/api/v1/frictions/stats")],
    # One friction by id: who may read and act on which is tested in tests/test_frictions.py
    # (scope, refusals audited); here only that no one reaches one that is not theirs.
    "api-v1:friction_detail": [
        signed_in("api", "GET", f"/api/v1/frictions/{NO_FRICTION}", allowed_status=(404,))
    ],
    "api-v1:friction_act": [
        signed_in(
            "api",
            "POST",
            f"/api/v1/frictions/{NO_FRICTION}/actions",
            {"action": "triage"},
            allowed_status=(404,),
        )
    ],
    "api-v1:rate_application": [on_rating("api", allowed_status=(201,))],
    "api-v1:openapi-json": [public("api", "GET", "/api/v1/openapi.json")],
    "api-v1:openapi-view": [public("api", "GET", "/api/v1/docs")],
    "api-v1:api-root": [public("api", "GET", "/api/v1/", allowed_status=(200, 404))],
    "api-v1:lookup": [
        for_person(
            "api",
            "POST",
            "/api/v1/people/lookup",
            lambda n: {"id_number": n},
            may=STAFF_ONLY_PEOPLE,
            readers=PEOPLE_READERS,
        )
    ],
    "api-v1:create": [
        for_person(
            "api",
            "POST",
            "/api/v1/applications",
            lambda n: {"matter": "MCA-002", "applicant": n, "repeat_reason": "matrix"},
            may="start",
            changes=True,
        )
    ],
    "api-v1:list_applications": [signed_in("api", "GET", "/api/v1/applications?limit=200")],
    "api-v1:detail": [on_app("api", "GET", "")],
    "api-v1:update": [
        on_app("api", "PATCH", "", body={"fields": {}}, fresh=True, may="edit", label="edit"),
        on_app(
            "api",
            "PATCH",
            "",
            body=lambda a: {"materials_provided": [a.matter.materials.first().name]},  # type: ignore[union-attr]
            fresh=True,
            may="attest",
            label="attest",
        ),
    ],
    "api-v1:submit": [on_app("api", "POST", "/submit", fresh=True, may="edit")],
    "api-v1:act": [
        on_app(
            "api",
            "POST",
            "/actions",
            status=Status.SUBMITTED,
            body=_act("accept"),
            fresh=True,
            may="accept",
            label="accept",
        ),
        on_app(
            "api",
            "POST",
            "/actions",
            status=Status.ACCEPTED,
            body=_act("approve"),
            fresh=True,
            may="first_review",
            label="first review",
        ),
        on_app(
            "api",
            "POST",
            "/actions",
            status=Status.REVIEWED,
            body=_act("approve"),
            fresh=True,
            may="final",
            label="final approval",
        ),
        on_app(
            "api",
            "POST",
            "/actions",
            status=Status.REVIEWED,
            body=_act("refuse", "x"),
            fresh=True,
            may="final",
            label="final refusal",
        ),
        on_app(
            "api",
            "POST",
            "/actions",
            status=Status.APPROVED,
            body=_act("complete"),
            fresh=True,
            may="complete",
            label="complete",
        ),
    ],
    "api-v1:retry_outcomes": [
        on_app(
            "api",
            "POST",
            "/outcomes/retry",
            status=Status.APPROVED,
            fresh=True,
            may="retry",
            changes=False,
        )
    ],
    "api-v1:form_pdf": [on_app("api", "GET", "/form.pdf")],
    "api-v1:receipt_pdf": [on_app("api", "GET", "/receipt.pdf", status=Status.ACCEPTED)],
    "api-v1:template_pdf": [on_app("api", "GET", f"/templates/{TEMPLATE}.pdf", objects=TEMPLATED)],
    "api-v1:upload_file": [on_app("api", "GET", "/uploads/{upload}", objects=TEMPLATED)],
    "api-v1:start_bundle": [
        for_person(
            "api",
            "POST",
            f"/api/v1/bundles/{BUNDLE}/start",
            lambda n: {"applicant": n, "repeat_reason": "matrix"},
            may="start",
            changes=True,
        )
    ],
    "api-v1:bundles": [public("api", "GET", "/api/v1/bundles")],
    "api-v1:bundle": [public("api", "GET", f"/api/v1/bundles/{BUNDLE}")],
    "api-v1:search": [public("api", "GET", "/api/v1/matters?q=低保")],
    "api-v1:guide": [public("api", "GET", "/api/v1/matters/MCA-001")],
    "api-v1:certificate_types": [public("api", "GET", "/api/v1/certificate-types")],
    "api-v1:ask": [public("api", "GET", "/api/v1/ask?q=低保怎么申请")],
    "api-v1:certificate_list": [signed_in("api", "GET", "/api/v1/certificates")],
    "api-v1:certificate_pdf": [on_certificate("api", "GET", "/api/v1/certificates/{number}.pdf")],
    "api-v1:revoke": [
        on_certificate("api", "POST", "/api/v1/certificates/{number}/revoke", may="staff_read")
    ],
    "api-v1:verify": [
        public("api", "GET", lambda w: f"/api/v1/verify/{w.certificates['own'].token}")
    ],
    # --- i18n --------------------------------------------------------------------------------
    "set_language": [
        public(
            "portal",
            "POST",
            "/i18n/setlang/",
            {"language": "en", "next": "/"},
            allowed_status=(302,),
        )
    ],
    # --- /staff/ ------------------------------------------------------------------------
    "workbench:home": [signed_in("workbench", "GET", "/staff/")],
    # The friction log: reporting and the inbox are anyone's; one friction's page is checked
    # for scope in tests/test_friction_pages.py (here: no one reaches one that is not theirs).
    "workbench:report": [signed_in("workbench", "GET", "/staff/report/?screen=/staff/")],
    "workbench:frictions": [signed_in("workbench", "GET", "/staff/frictions/")],
    "workbench:friction_dashboard": [signed_in("workbench", "GET", "/staff/frictions/dashboard/")],
    "workbench:friction_export": [signed_in("workbench", "GET", "/staff/frictions/export.csv")],
    "workbench:friction": [
        signed_in("workbench", "GET", f"/staff/frictions/{NO_FRICTION}/", allowed_status=(404,))
    ],
    "workbench:friction_act": [
        signed_in(
            "workbench",
            "POST",
            f"/staff/frictions/{NO_FRICTION}/actions/",
            {"action": "triage"},
            allowed_status=(404,),
        )
    ],
    "workbench:login": [public("workbench", "GET", "/staff/login/")],
    "workbench:logout": [public("workbench", "POST", "/staff/logout/", allowed_status=(200, 302))],
    "workbench:find": [
        for_person(
            "workbench",
            "POST",
            "/staff/people/find/",
            lambda n: {"id_number": n},
            may="any_staff",
            personal=False,
            allowed_status=(302,),
        )
    ],
    "workbench:person": [
        Op(
            "workbench",
            _person_page,
            objects=tuple(PEOPLE_OBJECTS),
            may=STAFF_ONLY_PEOPLE,
            readers=PEOPLE_READERS,
        )
    ],
    "workbench:bundle_start": [
        for_person(
            "workbench",
            "POST",
            "/staff/bundles/start/",
            lambda n: {"bundle": "BUNDLE-UNEMPLOYMENT", "applicant": n, "repeat_reason": "m"},
            may="start",
            changes=True,
            allowed_status=(302,),
        )
    ],
    "workbench:bundle": [on_bundle("", "GET")],
    "workbench:bundle_fields": [
        on_bundle(
            "fields/",
            "POST",
            lambda run: {
                "field": (key := _editable_field(_first_step(run))),
                f"target:{key}": str(_first_step(run).pk),
                f"type:{key}": "text",
                PREFIX + key: "matrix",
            },
            may="bundle_edit",
            changes=True,
            allowed_status=(302,),
        )
    ],
    "workbench:bundle_materials": [
        on_bundle(
            "materials/",
            "POST",
            lambda run: {
                "application": str(_first_step(run).pk),
                "material": _first_step(run).matter.materials.first().name,  # type: ignore[union-attr]
                "provided": "1",
            },
            may="bundle_edit",
            changes=True,
            allowed_status=(302,),
        )
    ],
    "workbench:bundle_uploads": [
        on_bundle(
            "uploads/",
            "POST",
            lambda run: {
                "application": str(_upload_step(run).pk),
                "material": _uploadable(_upload_step(run)),
                "_file": True,
            },
            may="bundle_edit",
            changes=True,
            allowed_status=(302,),
        )
    ],
    "workbench:bundle_submit": [
        on_bundle(
            "submit/",
            "POST",
            lambda run: {},
            may="bundle_edit",
            # The other community's resident lacks facts some steps need: allowed, a submit
            # may still say what is missing (state checked for refusals only).
            changes=False,
            allowed_status=(302,),
            denied_rows=-1,  # refused: one row per step
        )
    ],
    "workbench:application_start": [
        for_person(
            "workbench",
            "POST",
            "/staff/applications/start/",
            lambda n: {"matter": "MCA-002", "applicant": n, "repeat_reason": "matrix"},
            may="start",
            changes=True,
            allowed_status=(302,),
        )
    ],
    "workbench:application": [on_app("workbench", "GET", "/")],
    "workbench:application_fields": [
        on_app(
            "workbench",
            "POST",
            "/fields/",
            body=lambda a: {
                "field": (key := _editable_field(a)),
                f"target:{key}": str(a.pk),
                f"type:{key}": "text",
                PREFIX + key: "matrix",
            },
            fresh=True,
            may="edit",
            allowed_status=(302,),
        )
    ],
    "workbench:application_materials": [
        on_app(
            "workbench",
            "POST",
            "/materials/",
            body=lambda a: {
                "application": str(a.pk),
                "material": a.matter.materials.first().name,  # type: ignore[union-attr]
                "provided": "1",
            },
            fresh=True,
            may="attest",
            allowed_status=(302,),
        )
    ],
    "workbench:application_submit": [
        on_app("workbench", "POST", "/submit/", fresh=True, may="edit", allowed_status=(302,))
    ],
    "workbench:application_act": [
        on_app(
            "workbench",
            "POST",
            "/actions/",
            status=Status.SUBMITTED,
            body=_act("accept"),
            fresh=True,
            may="accept",
            allowed_status=(302,),
            label="accept",
        ),
        on_app(
            "workbench",
            "POST",
            "/actions/",
            status=Status.ACCEPTED,
            body=_act("approve"),
            fresh=True,
            may="first_review",
            allowed_status=(302,),
            label="first review",
        ),
        on_app(
            "workbench",
            "POST",
            "/actions/",
            status=Status.REVIEWED,
            body=_act("approve"),
            fresh=True,
            may="final",
            allowed_status=(302,),
            label="final approval",
        ),
        on_app(
            "workbench",
            "POST",
            "/actions/",
            status=Status.APPROVED,
            body=_act("complete"),
            fresh=True,
            may="complete",
            allowed_status=(302,),
            label="complete",
        ),
    ],
    "workbench:certificate_pdf": [
        on_certificate("workbench", "GET", "/staff/certificates/{number}.pdf")
    ],
    "workbench:application_retry": [
        on_app(
            "workbench",
            "POST",
            "/retry/",
            status=Status.APPROVED,
            fresh=True,
            may="retry",
            changes=False,
            allowed_status=(302,),
        )
    ],
    "workbench:application_pdf": [on_app("workbench", "GET", "/form.pdf")],
    "workbench:application_uploads": [
        on_app(
            "workbench",
            "POST",
            "/uploads/",
            files=True,
            fresh=True,
            may="edit",
            objects=TEMPLATED,
            allowed_status=(302,),
        )
    ],
    "workbench:upload_file": [on_app("workbench", "GET", "/uploads/{upload}/", objects=TEMPLATED)],
    "workbench:template_pdf": [
        on_app("workbench", "GET", f"/templates/{TEMPLATE}.pdf", objects=TEMPLATED)
    ],
    "workbench:receipt_pdf": [on_app("workbench", "GET", "/receipt.pdf", status=Status.ACCEPTED)],
    # --- /verify/ ---------------------------------------------------------------------------
    "certificates:verify": [
        public("portal", "GET", lambda w: f"/verify/{w.certificates['own'].token}")
    ],
    # --- the portal -------------------------------------------------------------------------
    "portal:home": [public("portal", "GET", "/")],
    "portal:browse": [public("portal", "GET", "/browse/")],
    "portal:guide": [public("portal", "GET", "/matters/MCA-001/")],
    "portal:apply": [
        Op(
            "portal",
            lambda w, o: (
                Request("POST", "/matters/MCA-002/apply/", {"repeat_reason": "matrix"}),
                _counts(Application),
            ),
            objects=(),
            changes=True,
            allowed_status=(302,),
        )
    ],
    "portal:bundle": [public("portal", "GET", f"/bundles/{BUNDLE}/")],
    "portal:certificates": [public("portal", "GET", "/certificates/")],
    "portal:search": [public("portal", "GET", "/search/?q=低保")],
    "portal:ask": [public("portal", "GET", "/ask/?q=低保怎么申请")],
    "portal:settings": [public("portal", "GET", "/settings/")],
    "portal:sign_in": [public("portal", "GET", "/signin/")],
    # Without a sign-in under way, back to its first step.
    "portal:sign_in_code": [
        public("portal", "GET", "/signin/code/", allowed_status=(302,), sign_in_ok=True)
    ],
    "portal:sign_out": [public("portal", "POST", "/signout/", allowed_status=(302,))],
    "portal:me": [signed_in("portal", "GET", "/me/")],
    "portal:report": [signed_in("portal", "GET", "/report/?screen=/")],
    "portal:rectified": [public("portal", "GET", "/you-said-we-did/")],
    "portal:feedback": [signed_in("portal", "GET", "/me/feedback/")],
    "portal:feedback_item": [
        signed_in("portal", "GET", f"/me/feedback/{NO_FRICTION}/", allowed_status=(404,))
    ],
    "portal:feedback_act": [
        signed_in(
            "portal",
            "POST",
            f"/me/feedback/{NO_FRICTION}/actions/",
            {"action": "confirm"},
            allowed_status=(404,),
        )
    ],
    "portal:application": [on_app("portal", "GET", "/")],
    "portal:application_save": [
        on_app(
            "portal",
            "POST",
            "/save/",
            body={"field-application.note": "matrix"},
            fresh=True,
            may="edit",
            allowed_status=(302,),
        )
    ],
    "portal:application_submit": [
        on_app("portal", "POST", "/submit/", fresh=True, may="edit", allowed_status=(302,))
    ],
    "portal:application_upload": [
        on_app(
            "portal",
            "POST",
            "/upload/",
            files=True,
            fresh=True,
            may="edit",
            objects=TEMPLATED,
            allowed_status=(302,),
        )
    ],
    "portal:upload_file": [on_app("portal", "GET", "/uploads/{upload}/", objects=TEMPLATED)],
    "portal:template_pdf": [
        on_app("portal", "GET", f"/templates/{TEMPLATE}.pdf", objects=TEMPLATED)
    ],
    "portal:receipt_pdf": [on_app("portal", "GET", "/receipt.pdf", status=Status.ACCEPTED)],
    "portal:rating": [
        on_app("portal", "GET", "/rating/"),
        on_rating("portal", allowed_status=(302,)),
    ],
    "portal:my_certificates": [signed_in("portal", "GET", "/me/certificates/")],
    "portal:certificate_download": [
        on_certificate("portal", "GET", "/me/certificates/{number}/download/")
    ],
    # --- the admin: one row; its own rights are tests/test_admin_security.py ----------------
    "admin:*": [
        Op(
            "admin",
            lambda w, o: (Request("GET", "/admin/"), _nothing),
            objects=(),
            may="admin",
            personal=False,
        )
    ],
}


# Expected outcomes -----------------------------------------------------------------------


def outcome(op: Op, principal: str, obj: str) -> str:
    """What this principal gets from this operation on this object (by hand, from the tables
    above)."""
    if op.public:
        return PUBLIC
    staff = principal in STAFF
    if op.interface == "admin":
        return ALLOW if staff else SIGN_IN
    if principal == ANON:
        return SIGN_IN
    if op.interface == "workbench" and not staff:
        return SIGN_IN
    if op.interface == "portal" and staff:
        return SIGN_IN
    if not op.objects or op.may == "any_staff":
        return ALLOW
    if op.may == STAFF_ONLY_PEOPLE:
        return ALLOW if principal in PEOPLE_READERS[obj] else REFUSED
    if op.may == "start":
        return ALLOW if principal in STARTERS[obj] else REFUSED
    if principal not in (op.readers or READERS)[obj]:
        return HIDDEN
    if op.may == "read":
        return ALLOW
    if op.may == "bundle_edit":
        return ALLOW if principal in BUNDLE_EDITORS[obj] else REFUSED
    return ALLOW if principal in MAY[op.may](obj) else REFUSED


def _send(world: World, interface: str, request: Request) -> Any:
    client = world.client
    if interface == "api":
        headers = {"Authorization": f"Bearer {world.token}"} if world.token else {}
        if request.method == "GET":
            return client.get(request.path, headers=headers)
        return client.generic(
            request.method,
            request.path,
            data=json.dumps(request.body or {}),
            content_type="application/json",
            headers=headers,
        )
    if request.method == "GET":
        return client.get(request.path)
    from django.core.files.uploadedfile import SimpleUploadedFile

    data: dict[str, Any] = dict(request.body or {})
    for name, (filename, content) in (request.files or {}).items():
        data[name] = SimpleUploadedFile(filename, content, content_type="image/png")
    return client.post(request.path, data)


def _rows(actor: str) -> tuple[int, int]:
    """The denied and the ok rows of this actor's trail, in one query."""
    counts = AuditEvent.objects.filter(actor=actor).aggregate(
        denied=Count("pk", filter=Q(result="denied")), ok=Count("pk", filter=Q(result="ok"))
    )
    return counts["denied"], counts["ok"]


SIGN_IN_PAGES = ("/staff/login/", "/signin/", "/admin/login/")


def _check(world: World, op: Op, obj: str) -> list[str]:
    """Run one cell; what went wrong (nothing if it held)."""
    principal = world.principal
    want = outcome(op, principal, obj)
    request, state = op.build(world, obj)
    actor = world.actor
    before = state()
    denied, ok = _rows(actor)
    if op.public:  # signing out and the like: not in the session the other cells use
        response = _send(
            replace(world, client=Client(headers={"Accept-Language": "en"})), op.interface, request
        )
    else:
        response = _send(world, op.interface, request)
    code = response.status_code
    location = response.get("Location", "")
    changed = state() != before
    denied_after, ok_after = _rows(actor)
    denied_now, ok_now = denied_after - denied, ok_after - ok
    problems: list[str] = []
    if code >= 500:
        return [f"{code} server error"]
    if want in (ALLOW, PUBLIC):
        if code not in op.allowed_status:
            problems.append(f"status {code} (want {op.allowed_status}) {location}".strip())
        elif code == 302 and not op.sign_in_ok and any(p in location for p in SIGN_IN_PAGES):
            problems.append(f"sent to sign in ({location})")
        if want == ALLOW and op.changes and not changed:
            problems.append("allowed, but nothing changed")
        reads = request.method == "GET" and op.objects and op.personal
        if want == ALLOW and reads and principal in STAFF and not ok_now:
            problems.append("a staff read of personal data without its audit row")
        if denied_now:
            problems.append(f"{denied_now} denied audit rows for an allowed operation")
        if not op.objects and not op.public:
            problems.extend(_leaks(world, response, ok_now))
        return problems
    if changed:
        problems.append("state changed")
    if want == SIGN_IN:
        if op.interface == "api":
            if code != 401:
                problems.append(f"status {code} (want 401)")
        elif code != 302 or not any(page in location for page in SIGN_IN_PAGES):
            problems.append(f"status {code} {location} (want a redirect to sign in)")
        return problems
    if want == HIDDEN and code != 404:
        problems.append(f"status {code} (want 404)")
    if want == REFUSED:
        # The workbench answers a refused POST with the page that holds the action (its
        # application or bundle), which says why once.
        redirect_back = (
            op.interface == "workbench"
            and request.method == "POST"
            and code == 302
            and location.startswith(("/staff/applications/", "/staff/bundles/"))
        )
        if code != 403 and not redirect_back:
            problems.append(f"status {code} {location} (want 403 or a redirect back)".strip())
    rows = op.denied_rows if op.denied_rows >= 0 and want == REFUSED else 1
    if want == REFUSED and op.denied_rows < 0:
        rows = _steps(world, obj)
    if denied_now != rows:
        problems.append(f"{denied_now} denied audit rows (want {rows})")
    return problems


def _steps(world: World, obj: str) -> int:
    return world.bundles[obj].applications.count()


def _leaks(world: World, response: Any, audited: int) -> list[str]:
    """A list shows nothing its reader may not read, and what it shows of others' personal
    data is audited."""
    content = response.content.decode("utf-8", "replace")
    problems = []
    shown = False
    for obj in ALL_OBJECTS:
        numbers = [
            world.reads[obj].number,
            world.accepted[obj].number,
            world.certificates[obj].number,
        ]
        present = [n for n in numbers if n in content]
        if present and world.principal not in READERS[obj]:
            problems.append(f"lists {obj} ({', '.join(present)})")
        shown = shown or bool(present)
    if shown and world.principal in STAFF and not audited:
        problems.append("a list of personal data without its audit row")
    return problems


GROUPS = {"api": ("api",), "workbench": ("workbench", "admin"), "portal": ("portal",)}


#: Public routes ask nobody who they are: they are tried as each kind of caller (no one, a
#: member of staff, a resident; with a session or a token), not as every role, which keeps the
#: module inside its minute.
PUBLIC_CALLERS = (ANON, "clerk.chunlei", RESIDENT_LI)


def _cells(group: str, principal: str) -> Iterator[tuple[str, Op, str]]:
    for route, ops in ROUTES.items():
        for op in ops:
            if op.interface not in GROUPS[group]:
                continue
            if op.public and principal not in PUBLIC_CALLERS:
                continue
            for obj in op.objects or ("-",):
                yield route, op, obj


def cell_count() -> int:
    return sum(1 for group in GROUPS for p in PRINCIPALS for _ in _cells(group, p))


@pytest.fixture
def pdf_stub(monkeypatch: pytest.MonkeyPatch) -> None:
    """Who may print is the question here, not the printing (tests/test_pdf.py)."""
    monkeypatch.setattr("govdesk.documents.pdf.render", lambda template, data: b"%PDF-1.7 stub")


@pytest.mark.parametrize("group", list(GROUPS))
@pytest.mark.parametrize("principal", PRINCIPALS)
def test_matrix(principal: str, group: str, world: Any, pdf_stub: None) -> None:
    world_ = _world(principal, group)
    failures = []
    for route, op, obj in _cells(group, principal):
        for problem in _check(world_, op, obj):
            what = f" {op.label}" if op.label else ""
            failures.append(f"{principal} × {route}{what} × {obj}: {problem}")
    assert not failures, "\n".join(failures)


def _route_names() -> set[str]:
    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    names.add("admin:*")
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern, inner)
            elif isinstance(pattern, URLPattern):
                names.add(f"{namespace}{pattern.name or '<unnamed ' + str(pattern.pattern) + '>'}")

    walk(get_resolver(), "")
    return names


def test_every_route_has_an_entry() -> None:
    served = _route_names()
    missing = sorted(served - set(ROUTES))
    stale = sorted(set(ROUTES) - served)
    assert not missing, (
        "routes without an entry in the authorisation matrix (tests/test_authorisation_"
        f"matrix.py, ROUTES): {', '.join(missing)}"
    )
    assert not stale, f"entries for routes that no longer exist: {', '.join(stale)}"


def test_the_matrix_is_large() -> None:
    assert cell_count() > 1500
