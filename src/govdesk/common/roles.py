from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CLERK = "clerk", _("Window clerk")
    REVIEWER = "reviewer", _("Reviewer")
    APPROVER = "approver", _("Approver")
    OPERATOR = "operator", _("Data bureau operator")
    AUDITOR = "auditor", _("Auditor")


RESIDENT = "resident"
