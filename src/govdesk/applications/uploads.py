"""Materials the applicant's side uploads: a photo (JPEG, PNG) or a PDF of a material the
system does not hold (status ``required`` after "check the system first").

- The type is read from the file's first bytes (its magic number), never from its name or
  the type the browser declares; the size is checked against ``settings.UPLOAD_MAX_BYTES``.
- The file is stored outside the database, under ``settings.DATA_DIR``/uploads, with a random
  name (nothing of the person or the original name in it), readable by the server only.
- Only the applicant's side (the resident, a clerk covering them) uploads, and only while the
  application may still be edited; a new upload replaces the one before (its file is
  deleted once the change commits). The upload marks the material ``uploaded``.
- A file is served only to those who may read the application (the applicant, staff covering
  it), never publicly; every read is audited (``application.upload_read``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
from pathlib import Path
from typing import IO
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govdesk.applications import lifecycle, policies
from govdesk.applications.errors import (
    InvalidFields,
    NotAllowed,
    NotFound,
    StateConflict,
    VersionConflict,
)
from govdesk.applications.lifecycle import Action
from govdesk.applications.materials import file_size, held_facts, resolve_materials
from govdesk.applications.models import Application, MaterialUpload
from govdesk.applications.selectors import _produced_earlier, ensure_readable, get_application
from govdesk.applications.services import _audit_refusal, _event, _locked
from govdesk.audit.actions import AuditAction
from govdesk.audit.services import audit_record, person_subject
from govdesk.audit.transactions import atomic
from govdesk.common.errors import Unavailable
from govdesk.common.principal import Principal
from govdesk.forms.schema import matter_materials

logger = logging.getLogger(__name__)

#: The files accepted, by their first bytes.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}


def sniff(content: bytes) -> str | None:
    """The content type the bytes are, or None if they are none of the accepted ones."""
    for magic, content_type in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return None


def upload_root() -> Path:
    return Path(settings.DATA_DIR) / "uploads"


def _checked(file: IO[bytes] | None) -> tuple[bytes, str]:
    """The file's bytes and type; InvalidFields (field ``file``) if there is none, or it is
    empty, too large or not a JPEG, PNG or PDF."""
    limit = int(settings.UPLOAD_MAX_BYTES)
    content = file.read(limit + 1) if file is not None else b""
    if not content:
        raise InvalidFields(_("The file is empty."), {"file": _("Choose a photo or a PDF.")})
    if len(content) > limit:
        message = _("The file is larger than %(limit)s.") % {"limit": file_size(limit)}
        raise InvalidFields(message, {"file": message})
    content_type = sniff(content)
    if content_type is None:
        message = _("Only photos (JPEG or PNG) and PDF files can be uploaded.")
        raise InvalidFields(message, {"file": message})
    return content, content_type


def _store(content: bytes) -> str:
    """Write ``content`` under a new random name; return its path below ``upload_root()``."""
    name = secrets.token_hex(16)
    relative = f"{name[:2]}/{name}"
    path = upload_root() / relative
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    return relative


def _remove(relative: str) -> None:
    try:
        (upload_root() / relative).unlink(missing_ok=True)
    except OSError:  # a file left behind is harmless; the row no longer points to it
        logger.warning("upload %s could not be deleted", relative)


def material_upload(
    *,
    principal: Principal,
    application_id: UUID | str,
    material: str,
    file: IO[bytes] | None,
    version: int | None = None,
) -> MaterialUpload:
    """Upload a photo or PDF of ``material`` for the application (replacing the one before).
    An entry point: the file is written first, then recorded in one durable transaction; if
    the recording fails, the file is removed again."""
    content, content_type = _checked(file)
    relative = _store(content)
    try:
        return _upload_record(
            principal=principal,
            application_id=application_id,
            material=material,
            content=content,
            content_type=content_type,
            relative=relative,
            version=version,
        )
    except BaseException:
        _remove(relative)
        raise


@atomic(durable=True)
def _upload_record(
    *,
    principal: Principal,
    application_id: UUID | str,
    material: str,
    content: bytes,
    content_type: str,
    relative: str,
    version: int | None,
) -> MaterialUpload:
    application = _locked(application_id)
    ensure_readable(principal, application)
    if application.status not in lifecycle.EDITABLE_STATUSES:
        raise StateConflict(
            _("Materials can no longer be uploaded (status: %(s)s).")
            % {"s": application.get_status_display()},
            status=application.status,
        )
    if not policies.may_edit(principal, application):
        _audit_refusal(principal, application, Action.UPLOAD)
        raise NotAllowed(_("Only the applicant or window staff may upload materials."))
    if version is not None and version != application.version:
        raise VersionConflict(
            _("Someone else changed this application; reload it and upload again."),
            your_version=version,
            current_version=application.version,
        )
    _ensure_from_applicant(application, material)
    previous = (
        MaterialUpload.objects.select_for_update()
        .filter(application=application, material=material, replaced_at__isnull=True)
        .first()
    )
    if previous is not None:
        previous.replaced_at = timezone.now()
        previous.save(update_fields=["replaced_at"])
        old_path = previous.path
        transaction.on_commit(lambda: _remove(old_path))
    upload = MaterialUpload.objects.create(
        application=application,
        material=material,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        path=relative,
        uploaded_by=principal.name,
        uploaded_by_role=principal.role,
    )
    application.version += 1
    application.save(update_fields=["version", "updated_at"])
    _event(
        application,
        principal,
        Action.UPLOAD,
        application.status,
        detail={
            "material": material,
            "upload": str(upload.id),
            "sha256": upload.sha256,
            "replaced": str(previous.id) if previous is not None else None,
        },
    )
    return upload


def _ensure_from_applicant(application: Application, material: str) -> None:
    """Only a material the system does not hold is uploaded ("check the system first")."""
    requirements = matter_materials(application.matter)
    if material not in {r.name for r in requirements}:
        raise InvalidFields(
            _("This matter has no such material."),
            {"material": _("This matter has no such material.")},
        )
    needed, optional = resolve_materials(
        requirements=requirements,
        held=held_facts(id_number=application.applicant.id_number, requirements=requirements),
        provided=application.materials_provided,
        produced_earlier=_produced_earlier(application),
    )
    status = next(m for m in [*needed, *optional] if m.name == material)
    if not status.from_applicant:
        message = _("The system already holds this material: there is nothing to upload.")
        raise InvalidFields(message, {"material": message})


def upload_read(
    *, principal: Principal, application_id: UUID | str, upload_id: UUID | str
) -> tuple[MaterialUpload, bytes]:
    """The current upload and its bytes, for someone who may read the application (refused
    as not found otherwise, and audited); every read is audited."""
    application = get_application(principal=principal, application_id=application_id)
    try:
        upload = MaterialUpload.objects.get(
            pk=upload_id, application=application, replaced_at__isnull=True
        )
    except (MaterialUpload.DoesNotExist, ValueError) as exc:
        raise NotFound(_("No such upload.")) from exc
    try:
        content = (upload_root() / upload.path).read_bytes()
    except OSError as exc:
        logger.error("upload %s of application %s is missing", upload.id, application.number)
        raise Unavailable(_("This file cannot be read right now.")) from exc
    if hashlib.sha256(content).hexdigest() != upload.sha256:
        logger.error("upload %s of application %s was altered", upload.id, application.number)
        raise Unavailable(_("This file cannot be read right now."))
    audit_record(
        actor=principal.actor(),
        action=AuditAction.APPLICATION_UPLOAD_READ,
        subject=person_subject(application.applicant.id_number),
        detail={
            "application": str(application.id),
            "material": upload.material,
            "upload": str(upload.id),
        },
    )
    return upload, content


def download_name(application: Application, upload: MaterialUpload) -> str:
    """A file name that says nothing of the person: the application number and a number."""
    return f"{application.number}-{str(upload.id)[:8]}.{EXTENSIONS[upload.content_type]}"
