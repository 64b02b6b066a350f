from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Window clerk")
    REVIEWER = "reviewer", _("Reviewer")
    APPROVER = "approver", _("Approver")
    OPERATOR = "operator", _("Data bureau operator")
    AUDITOR = "auditor", _("Auditor")
    # Holds SECURITY_PERMISSION in the demo; no role of the application lifecycle.
    SECURITY = "security", _("Security officer")


RESIDENT = "resident"
#: The platform itself, acting on its own (not a person): its role and the name it acts by.
SYSTEM = "system"
SYSTEM_NAME = "govdesk"

#: Security-relevant configuration: the sensitivity of data elements (which decides masking),
#: staff roles, jurisdictions, departments, groups and permissions (and department routes when
#: they are configurable). Not a right of the catalogue operator; a superuser has it implicitly.
SECURITY_PERMISSION = "accounts.manage_security"
