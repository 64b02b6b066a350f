"""Loading the catalogue from its versioned YAML files (idempotent: upsert by code)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.db.models import Q

from govdesk.catalog.models import (
    CODE_MAX_LENGTH,
    CODE_PATTERN,
    Bundle,
    BundleStep,
    CertificateType,
    ForbiddenCertificate,
    LifeEvent,
    MaterialRequirement,
    Matter,
    OfferRule,
    QAEntry,
    SynonymGroup,
)
from govdesk.catalog.offers import OfferRuleError, parse_rule
from govdesk.common.idnumbers import redact_numbers
from govdesk.organisations.models import Department

DATA_DIR = Path(__file__).resolve().parent / "data"
COMMUNITY_DEPARTMENT = ("community", "社区居民委员会", "社区", "Residents' committee")


class CatalogError(ValueError):
    """The catalogue files are inconsistent; the message lists every problem."""


@dataclass
class LoadReport:
    version: str
    matters: int = 0
    bundles: int = 0
    certificate_types: int = 0
    forbidden: int = 0
    synonyms: int = 0
    qa: int = 0
    departments: int = 0
    offers: int = 0
    warnings: list[str] = field(default_factory=list)


def _read(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def catalog_version(folder: Path = DATA_DIR) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.yaml")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _code_problems(where: str, codes: list[Any]) -> list[str]:
    """The codes that are not of the form of ``CODE_PATTERN`` (HRSS-001), which the API states."""
    return [
        f"{where}: code {code!r} is not upper-case words joined by hyphens like HRSS-001"
        f" (at most {CODE_MAX_LENGTH} characters)"
        for code in codes
        if not isinstance(code, str)
        or len(code) > CODE_MAX_LENGTH
        or re.fullmatch(CODE_PATTERN, code) is None
    ]


FORM_NAME = re.compile(r"(申请|登记|申领|参保|认定|审批|备案|变更)[^》]*表》?$")


def _is_generated_form(name: str, by: dict[str, Any], template: str = "") -> bool:
    """The application form itself: the platform generates it filled from facts. A material
    with a ``template`` is not: the resident completes and signs that one."""
    if by.get("form"):
        return True
    return not by and not template and bool(FORM_NAME.search(name.strip()))


def _materials(matter: Matter, items: list[dict[str, Any]]) -> None:
    MaterialRequirement.objects.filter(matter=matter).delete()
    rows = []
    for order, item in enumerate(items or []):
        by = item.get("satisfied_by") or {}
        template = str(item.get("template") or "")
        rows.append(
            MaterialRequirement(
                matter=matter,
                order=order,
                name=str(item["name"]),
                required=bool(item.get("required", True)),
                licence_type=str(by.get("licence") or ""),
                elements=list(by.get("elements") or []),
                generated_form=_is_generated_form(str(item["name"]), by, template),
                note=str(item.get("note") or "")[:300],
                template=template,
            )
        )
    MaterialRequirement.objects.bulk_create(rows)


def _life_events(names: list[str], events: dict[str, LifeEvent]) -> list[LifeEvent]:
    found = []
    for name in names or []:
        event = events.get(name)
        if event is None:
            event = LifeEvent.objects.create(
                code=f"event-{len(events) + 1}", name=name, order=len(events) + 1
            )
            events[name] = event
        found.append(event)
    return found


@dataclass
class HomeConfig:
    """The home page's configured entries, read from the ``featured`` and ``pinned`` keys of
    matters and certificates and applied in one place, so that a removed key clears the value."""

    ranks: dict[str, int] = field(default_factory=dict)
    pinned: list[str] = field(default_factory=list)

    def read(self, where: str, code: str, row: dict[str, Any], problems: list[str]) -> None:
        rank = row.get("featured")
        if rank is not None:
            if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
                problems.append(
                    f"{where}: {code}: featured must be a whole number from 1: {rank!r}"
                )
            else:
                self.ranks[code] = rank
        pinned = row.get("pinned", False)
        if not isinstance(pinned, bool):
            problems.append(f"{where}: {code}: pinned must be true or false: {pinned!r}")
        elif pinned:
            self.pinned.append(code)

    def check(self, problems: list[str]) -> None:
        by_rank: dict[int, list[str]] = {}
        for code, rank in self.ranks.items():
            by_rank.setdefault(rank, []).append(code)
        problems += [
            f"featured rank {rank} is given to more than one matter: {', '.join(codes)}"
            for rank, codes in sorted(by_rank.items())
            if len(codes) > 1
        ]
        if len(self.pinned) > 1:
            problems.append(f"only one matter may be pinned: {', '.join(self.pinned)}")

    def apply(self) -> None:
        Matter.objects.filter(Q(pinned=True) | Q(featured_rank__isnull=False)).update(
            pinned=False, featured_rank=None
        )
        for code, rank in self.ranks.items():
            Matter.objects.filter(code=code).update(featured_rank=rank)
        if len(self.pinned) == 1:
            Matter.objects.filter(code=self.pinned[0]).update(pinned=True)


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return [str(value).strip()]


@transaction.atomic
def catalog_load(*, folder: Path = DATA_DIR) -> LoadReport:
    """Load every catalogue file in ``folder``; raise ``CatalogError`` listing all problems."""
    version = catalog_version(folder)
    report = LoadReport(version=version)
    problems: list[str] = []

    departments: dict[str, Department] = {}
    rows = [
        *(_read(folder / "departments.yaml") or []),
        dict(zip(("code", "name", "short_name", "name_en"), COMMUNITY_DEPARTMENT, strict=True)),
    ]
    for row in rows:
        department, _ = Department.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "short_name": row.get("short_name", "")[:16],
                "name_en": row.get("name_en", ""),
            },
        )
        departments[row["code"]] = department
    report.departments = len(departments)

    aliases_file = _read(folder / "aliases.yaml") or {}
    events: dict[str, LifeEvent] = {}
    for order, row in enumerate(aliases_file.get("life_events") or []):
        event, _ = LifeEvent.objects.update_or_create(
            code=row["code"],
            defaults={"name": row["name"], "name_en": row.get("name_en", ""), "order": order},
        )
        events[event.name] = event
    SynonymGroup.objects.all().delete()
    groups = [SynonymGroup(words=[str(w) for w in g]) for g in aliases_file.get("synonyms") or []]
    SynonymGroup.objects.bulk_create(groups)
    report.synonyms = len(groups)

    categories_en = {str(k): str(v) for k, v in (aliases_file.get("categories") or {}).items()}

    matters: dict[str, Matter] = {}
    seen_codes: set[str] = set()
    home = HomeConfig()
    for path in sorted((folder / "matters").glob("*.yaml")):
        data = _read(path) or {}
        owner = departments.get(data.get("department", ""))
        if owner is None:
            problems.append(f"{path.name}: unknown department {data.get('department')!r}")
            continue
        for row in data.get("matters") or []:
            code = row.get("code", "")
            if bad := _code_problems(path.name, [code]):
                problems += bad
                continue
            if code in seen_codes:
                problems.append(f"{path.name}: duplicate matter code {code}")
                continue
            seen_codes.add(code)
            try:
                matter = _matter_upsert(row, owner, version, categories_en)
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"{path.name}: matter {code or '?'}: {exc!r}")
                continue
            matter.life_events.set(_life_events(row.get("life_events") or [], events))
            _materials(matter, row.get("materials") or [])
            home.read(path.name, matter.code, row, problems)
            matters[matter.name] = matter
    report.matters = len(matters)

    certificates = _read(folder / "certificates.yaml") or {}
    community = departments["community"]
    certificate_codes = [row["code"] for row in certificates.get("allowed") or []]
    problems += _code_problems("certificates.yaml", certificate_codes)
    for row in certificates.get("allowed") or []:
        matter = _matter_upsert(
            {
                "code": row["code"],
                "name": row["name"],
                "aliases": row.get("aliases") or [],
                "level": row.get("level", "community"),
                "decided_at": row.get("level", "community"),
                "category": "基层证明",
                "online": True,
                "summary": row.get("purpose", ""),
                "audience": row.get("audience")
                or "本社区的户籍居民，或在本社区办理了居住登记、居住证的居民",
                "conditions": row.get("conditions")
                or [
                    "申请人为本社区居民：户籍在本社区，或在本社区办理了居住登记、居住证",
                    "证明内容以户籍登记、居住登记等登记数据为准，社区不凭口头陈述出具",
                    "只用于本证明所写的用途；其他用途请先查看“社区不能开具的证明”清单",
                ],
                "steps": row.get("steps")
                or [
                    "申请：在网上或到社区便民服务站提出，信息由平台调取，本人确认",
                    "受理：社区窗口核对户籍和居住登记数据",
                    "审核：社区负责人审核",
                    "出具：生成带编号、电子签章和二维码的证明，可下载、可核验",
                ],
                "time_limit_days": row.get("time_limit_days", 3),
                "promised_days": row.get("promised_days", 1),
                "fee": "不收费",
                "legal_basis": _as_list(row.get("basis")),
                "where": row.get("where", "户籍地或居住地社区便民服务站；网上可申请"),
                "outcome": row.get("outcome", "带编号、电子签章和二维码的证明（PDF）"),
                "notification": row.get("notification", "短信通知；可在“我的证明”中下载"),
                "en": row.get("en") or {},
            },
            community,
            version,
            categories_en,
        )
        _materials(matter, row.get("materials") or [])
        matter.life_events.set(_life_events(row.get("life_events") or ["开具证明"], events))
        home.read("certificates.yaml", matter.code, row, problems)
        matters[matter.name] = matter
        CertificateType.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "aliases": _as_list(row.get("aliases")),
                "level": row.get("level", "community"),
                "purpose": str(row.get("purpose", "")),
                "basis": str(row.get("basis", "")),
                "materials": row.get("materials") or [],
                "validity_days": int(row.get("validity_days") or 90),
                "matter": matter,
                "en": row.get("en") or {},
                "published": True,
            },
        )
        report.certificate_types += 1
    home.check(problems)
    home.apply()
    ForbiddenCertificate.objects.exclude(
        name__in=[row["name"] for row in certificates.get("forbidden") or []]
    ).delete()
    for order, row in enumerate(certificates.get("forbidden") or []):
        ForbiddenCertificate.objects.update_or_create(
            name=row["name"],
            defaults={
                "aliases": _as_list(row.get("aliases")),
                "instead": str(row.get("instead", "")),
                "instead_department": str(row.get("instead_department", "")),
                "en": row.get("en") or {},
                "order": order,
            },
        )
        report.forbidden += 1

    bundle_rows = _read(folder / "bundles.yaml") or []
    bundle_codes = [row["code"] for row in bundle_rows]
    problems += _code_problems("bundles.yaml", bundle_codes)
    loaded_bundles: dict[str, Bundle] = {}
    for row in bundle_rows:
        bundle, _ = Bundle.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "aliases": _as_list(row.get("aliases")),
                "summary": str(row.get("summary", "")),
                "outside_parties": _as_list(row.get("outside_parties")),
                "en": {"name": row.get("name_en", ""), **(row.get("en") or {})},
                "published": True,
                "version": version,
            },
        )
        loaded_bundles[bundle.code] = bundle
        bundle.life_events.set(_life_events(row.get("life_events") or [], events))
        BundleStep.objects.filter(bundle=bundle).delete()
        for order, step in enumerate(row.get("steps") or [], start=1):
            step_matter = matters.get(step["matter"])
            if step_matter is None:
                problems.append(f"bundle {bundle.code}: no matter named {step['matter']!r}")
                continue
            BundleStep.objects.create(
                bundle=bundle,
                order=order,
                matter=step_matter,
                condition=str(step.get("condition", "")),
                skip_unless=step.get("skip_unless") or {},
            )
        report.bundles += 1

    forbidden_names = {
        alias for f in ForbiddenCertificate.objects.all() for alias in [f.name, *f.aliases]
    }
    QAEntry.objects.all().delete()
    for order, row in enumerate(_read(folder / "qa.yaml") or []):
        entry = QAEntry.objects.create(
            question=row["q"],
            also=_as_list(row.get("also")),
            answer=str(row["a"]).strip(),
            cites=_as_list(row.get("matters")),
            order=order,
        )
        cited = [matters[name] for name in entry.cites if name in matters]
        entry.matters.set(cited)
        report.warnings += [
            f"Q&A {row['q']!r} cites unknown {name!r}"
            for name in entry.cites
            if name not in matters and name not in forbidden_names
        ]
        report.qa += 1

    report.offers = _offers_load(
        folder,
        version,
        problems,
        matters={m.code: m for m in matters.values()},
        bundles=loaded_bundles,
    )

    # Entries no longer in the files stop being published (applications may still refer to them).
    Matter.objects.exclude(name__in=list(matters)).update(published=False)
    Bundle.objects.exclude(code__in=bundle_codes).update(published=False)
    CertificateType.objects.exclude(code__in=certificate_codes).update(published=False)
    if problems:
        raise CatalogError("\n".join(problems))
    return report


def _optional_days(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _offers_load(
    folder: Path,
    version: str,
    problems: list[str],
    *,
    matters: dict[str, Matter],
    bundles: dict[str, Bundle],
) -> int:
    """The rules of proactive offers (offers.yaml), each checked: its tests name data elements a
    registry serves, it offers a matter or bundle of the catalogue. Rules no longer in the file
    stop being published."""
    path = folder / "offers.yaml"
    rows = (_read(path) if path.exists() else None) or []
    seen: set[str] = set()
    for order, row in enumerate(rows, start=1):
        where = f"offers.yaml: rule {row.get('id', order) if isinstance(row, dict) else order}"
        try:
            rule = parse_rule(row)
        except OfferRuleError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if rule.code in seen:
            problems.append(f"{where}: the id is used twice")
            continue
        seen.add(rule.code)
        matter = matters.get(str(row["matter"])) if "matter" in row else None
        bundle = bundles.get(str(row["bundle"])) if "bundle" in row else None
        if matter is None and bundle is None:
            kind = "matter" if "matter" in row else "bundle"
            problems.append(f"{where}: no {kind} with the code {row[kind]!r} in the catalogue")
            continue
        OfferRule.objects.update_or_create(
            code=rule.code,
            defaults={
                "order": order,
                "matter": matter,
                "bundle": bundle,
                "conditions": row["when"],
                "reason": rule.reason,
                "en": dict(rule.en),
                "held_licence": rule.held_licence,
                "household": rule.household,
                "published": True,
                "version": version,
            },
        )
    OfferRule.objects.exclude(code__in=seen).update(published=False)
    return len(seen)


def _matter_upsert(
    row: dict[str, Any],
    department: Department,
    version: str,
    categories_en: dict[str, str] | None = None,
) -> Matter:
    en = row.get("en") or {}
    category = str(row.get("category") or "")
    if isinstance(en, dict) and category in (categories_en or {}) and "category" not in en:
        en = {**en, "category": (categories_en or {})[category]}
    matter, _ = Matter.objects.update_or_create(
        code=row["code"],
        defaults={
            "name": row["name"],
            "short_name": str(row.get("short_name") or "")[:64],
            "aliases": _as_list(row.get("aliases")),
            "department": department,
            "level": row.get("level", "community"),
            "decided_at": row.get("decided_at") or row.get("level", "community"),
            "category": str(row.get("category") or "")[:32],
            "online": bool(row.get("online", False)),
            "summary": str(row.get("summary") or "").strip(),
            "audience": str(row.get("audience") or "").strip(),
            "conditions": _as_list(row.get("conditions")),
            "steps": _as_list(row.get("steps")),
            "time_limit_days": int(row.get("time_limit_days") or 0),
            "promised_days": int(row.get("promised_days") or 0),
            "repeat_after_days": _optional_days(row.get("repeat_after_days")),
            "fee": str(row.get("fee") or "不收费")[:100],
            "legal_basis": _as_list(row.get("legal_basis")),
            "where": str(row.get("where") or "")[:200],
            "outcome": str(row.get("outcome") or "").strip(),
            "notification": str(row.get("notification") or "")[:200],
            "form_code": str(row.get("form") or ""),
            "en": en if isinstance(en, dict) else {},
            "published": True,
            "version": version,
        },
    )
    return matter


def search_record(*, query: str, results: int, top: str, channel: str = "web") -> int:
    """Remember a search: the query text only, with any ID or phone number typed in it
    masked (people search for "证明 320205…" or paste a phone number)."""
    from govdesk.catalog.models import SearchLog

    log = SearchLog.objects.create(
        query=redact_numbers(query)[:200], results=results, top=top[:100], channel=channel
    )
    return log.pk


def search_opened(*, search_id: int, key: str) -> None:
    """A result of search ``search_id`` was opened."""
    from govdesk.catalog.models import SearchLog

    SearchLog.objects.filter(pk=search_id, opened="").update(opened=key[:100])
