"""What the application selectors return: typed values, not JSON.

The interface layers format them: the API turns them into its JSON schema, the workbench and
the portal into rows and labels (``presentation``). Times are aware datetimes, dates are dates;
nothing here is translated to a string for a particular screen, except the names that come
from the catalogue in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from govdesk.applications.lifecycle import RECEIPT_NOT_YET, Action, Status
from govdesk.applications.materials import MaterialStatus


@dataclass(frozen=True)
class MatterRef:
    code: str
    name: str
    name_en: str
    department: str
    decided_at: str


@dataclass(frozen=True)
class BundleStepRef:
    run_id: UUID
    code: str
    name: str
    step: int | None


@dataclass(frozen=True)
class FieldValue:
    """One field of the application's form: its value (masked where the viewer may not see
    it in full), where the value came from and when, and whether it is still missing."""

    key: str
    label: str
    type: str
    choices: list[list[str]]
    section: str
    value: Any
    source: str | None  # registry | licence | captured | typed | derived | default
    origin: str
    as_of: str | None
    required: bool
    missing: bool
    derived: bool
    conflict: dict[str, Any] | None


@dataclass(frozen=True)
class Offer:
    """A matter or bundle the person qualifies for now, by the facts (a proactive offer, ★),
    named and explained in the reader's language."""

    rule: str  # the catalogue's offer rule that made it
    kind: str  # "matter" or "bundle"
    code: str
    name: str
    reason: str
    online: bool  # a matter that may be applied for online (bundles start at the window)


@dataclass(frozen=True)
class TimelineEvent:
    action: str  # an ``Action`` value
    from_status: str
    to_status: str
    actor: str
    role: str
    at: datetime
    comment: str


@dataclass(frozen=True)
class FieldChange:
    """A value that changed since the application was returned (masked as the reader sees
    values)."""

    key: str
    label: str
    type: str
    choices: list[list[str]]
    before: Any
    after: Any


@dataclass(frozen=True)
class MaterialChange:
    """A material provided differently since the return: ``before`` and ``after`` are
    ``provided`` (checked at the window), ``uploaded`` or empty (not provided); ``replaced``
    when a new file replaced the one uploaded before."""

    name: str
    before: str
    after: str
    replaced: bool = False


@dataclass(frozen=True)
class ReturnInfo:
    """The latest return for correction: who returned it, when and why, what they named
    (form fields by key and label, materials by name), and what changed since."""

    at: datetime
    actor: str
    role: str
    comment: str
    fields: list[str]
    field_labels: list[str]
    materials: list[str]
    changes: list[FieldChange]
    material_changes: list[MaterialChange]

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.material_changes)


@dataclass(frozen=True)
class ApplicationDetail:
    """The application as a screen or the API shows it in full."""

    id: UUID
    number: str
    matter: MatterRef
    applicant_name: str
    applicant_id_number: str  # masked unless the viewer may and asked to see it
    channel: str
    status: Status
    status_label: str
    version: int
    created_at: datetime
    submitted_at: datetime | None
    deadline: date | None
    time_limit_days: int
    promised_days: int
    bundle: BundleStepRef | None
    form_code: str
    form_title: str
    fields: list[FieldValue]
    materials: list[MaterialStatus]
    optional_materials: list[MaterialStatus]
    timeline: list[TimelineEvent]
    allowed_actions: list[Action]
    certificate: dict[str, Any] | None
    outcome: dict[str, Any] = field(default_factory=dict)
    #: Approved, and what follows the approval has not all happened yet: since when.
    outcomes_waiting_since: datetime | None = None
    #: … for longer than ``OUTCOME_OVERDUE_MINUTES``: staff should look (and may try again).
    outcomes_overdue: bool = False
    last_return: ReturnInfo | None = None
    accepted_at: datetime | None = None
    service_point: str = ""

    @property
    def editable(self) -> bool:
        """The viewer may still change and submit it."""
        return Action.SUBMIT in self.allowed_actions

    @property
    def decisions(self) -> list[Action]:
        """The decisions the viewer may take now (everything but submitting)."""
        return [a for a in self.allowed_actions if a != Action.SUBMIT]

    @property
    def missing(self) -> list[FieldValue]:
        return [f for f in self.fields if f.missing]

    @property
    def returned(self) -> ReturnInfo | None:
        """The return the applicant is to answer now (the application is returned)."""
        return self.last_return if self.status == Status.RETURNED else None

    @property
    def has_receipt(self) -> bool:
        """An acceptance receipt exists: accepted, and not returned or back for acceptance."""
        return self.accepted_at is not None and self.status not in RECEIPT_NOT_YET


@dataclass(frozen=True)
class ApplicationSummary:
    """A row of a list: no fields, no materials; the timeline only where asked for."""

    id: UUID
    number: str
    matter_code: str
    matter_name: str
    applicant_name: str
    applicant_id_number: str  # always masked
    channel: str
    status: Status
    status_label: str
    created_at: datetime
    submitted_at: datetime | None
    deadline: date | None
    editable: bool
    decided_at: datetime | None = None
    #: The error of an outcome that failed (the certificate not issued), if one did.
    outcome_error: str = ""
    timeline: list[TimelineEvent] = field(default_factory=list)
    accepted_at: datetime | None = None
    department: str = ""  # the matter's department (short name)
    #: Who must act next: ``resident`` (the applicant), a staff role, or "" once decided.
    holder: str = ""
    #: Past its statutory deadline and not yet decided.
    overdue: bool = False

    @property
    def has_receipt(self) -> bool:
        """An acceptance receipt exists (as ``ApplicationDetail.has_receipt``)."""
        return self.accepted_at is not None and self.status not in RECEIPT_NOT_YET


@dataclass(frozen=True)
class ApplicationPage:
    """One page of a list: its rows, how many rows the whole list has (counted when the first
    page was read) and the cursor of the next page (None on the last)."""

    results: list[ApplicationSummary]
    count: int
    next_cursor: str | None
