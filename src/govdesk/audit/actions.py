"""The audit trail's vocabulary: every action a row may record, named once.

Rows store the value (``"application.accept"``); code passes the member, so that a typo is a
type error rather than a row nobody will ever search for.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Applications (one per lifecycle action, see applications/lifecycle.py, and reads).
    APPLICATION_READ = "application.read", _("Application read")
    APPLICATION_LIST = "application.list", _("Applications listed")
    APPLICATION_CREATE = "application.create", _("Application started")
    APPLICATION_EDIT = "application.edit", _("Application edited")
    APPLICATION_SUBMIT = "application.submit", _("Application submitted")
    APPLICATION_RESUBMIT = "application.resubmit", _("Application resubmitted")
    APPLICATION_ACCEPT = "application.accept", _("Application accepted")
    APPLICATION_RETURN = "application.return", _("Application returned")
    APPLICATION_APPROVE = "application.approve", _("Application approved")
    APPLICATION_REFUSE = "application.refuse", _("Application refused")
    APPLICATION_COMPLETE = "application.complete", _("Application completed")
    APPLICATION_RETRY = "application.retry", _("Outcome tried again")
    APPLICATION_FORM_PDF = "application.form_pdf", _("Application form printed")
    APPLICATION_FORM_SIGNATURE = (
        "application.form_signature",
        _("Application form printed for signature, numbers in full"),
    )
    APPLICATION_TEMPLATE_PDF = (
        "application.template_pdf",
        _("Template of a material printed, filled with what is known"),
    )
    APPLICATION_UPLOAD = "application.upload", _("Material uploaded")
    APPLICATION_UPLOAD_READ = "application.upload_read", _("Uploaded material read")
    APPLICATION_RECEIPT_PDF = "application.receipt_pdf", _("Acceptance receipt printed")
    BUNDLE_START = "bundle.start", _("Bundle started")
    BUNDLE_RESUME = "bundle.resume", _("Bundle resumed")
    # People and facts.
    PERSON_READ = "person.read", _("Person read")
    FACT_CAPTURED = "fact.captured", _("Fact captured")
    # Certificates.
    CERTIFICATE_ISSUE = "certificate.issue", _("Certificate issued")
    CERTIFICATE_REVOKE = "certificate.revoke", _("Certificate revoked")
    CERTIFICATE_READ = "certificate.read", _("Certificate read")
    CERTIFICATE_PDF = "certificate.pdf", _("Certificate PDF read")
    CERTIFICATE_LIST = "certificate.list", _("Certificates listed")
    # The friction log (错题本): reports, reads and each step of a problem's loop.
    FRICTION_REPORT = "friction.report", _("Stutter reported")
    FRICTION_READ = "friction.read", _("Friction read")
    FRICTION_LIST = "friction.list", _("Frictions listed")
    PROBLEM_ACT = "problem.act", _("Problem moved in its loop")
    PROBLEM_CHANGE = "problem.change", _("Configuration changed to rectify a problem")
    # 好差评: a resident's rating (refusals too) and the one invitation to rate.
    RATING_SUBMIT = "rating.submit", _("Service rated")
    RATING_INVITE = "rating.invite", _("Invited to rate a service")
    # Configuration in the admin (audit/adminsite.py): every save and delete of every model,
    # with the fields changed; a change refused for want of the security permission.
    ADMIN_CREATED = "admin.created", _("Created in the admin")
    ADMIN_CHANGED = "admin.changed", _("Changed in the admin")
    ADMIN_DELETED = "admin.deleted", _("Deleted in the admin")
    ADMIN_REFUSED = "admin.refused", _("Admin change refused")
    # Written by catalogue saves in the admin before the admin.* actions; old rows only.
    CATALOG_CREATED = "catalog.created", _("Catalogue entry created")
    CATALOG_CHANGED = "catalog.changed", _("Catalogue entry changed")
    # The trail itself.
    AUDIT_CHECKPOINT = "audit.checkpoint", _("Audit checkpoint written")
    # Signing in.
    LOGIN_SUCCEEDED = "login.succeeded", _("Staff sign-in")
    LOGIN_FAILED = "login.failed", _("Staff sign-in failed")
    LOGIN_LOCKED = "login.locked", _("Staff account locked")
    TOKEN_CREATED = "token.created", _("API token created")
    RESIDENT_SIGN_IN_CODE_SENT = "resident.sign_in.code_sent", _("Sign-in code sent")
    RESIDENT_SIGN_IN_NO_PHONE = "resident.sign_in.no_phone", _("Sign-in refused: no phone")
    RESIDENT_SIGN_IN_UNKNOWN = "resident.sign_in.unknown", _("Sign-in refused: not registered")
    RESIDENT_SIGN_IN_THROTTLED = "resident.sign_in.throttled", _("Sign-in paused for an address")
    RESIDENT_SIGN_IN_FAILED = "resident.sign_in.failed", _("Resident sign-in failed")
    RESIDENT_SIGN_IN_SUCCEEDED = "resident.sign_in.succeeded", _("Resident sign-in")
