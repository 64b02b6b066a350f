"""好差评: residents rate the service an application received, on the national five levels
and the national indicators of its channel (国办发〔2019〕51号). A rating is written once and
never changed (``Rating.save`` refuses an update; no admin edits it)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.applications.models import Application
from govdesk.frictions.models import Friction
from govdesk.organisations.models import Department, Region
from govdesk.people.models import Person


class Level(models.IntegerChoices):
    """The national five levels; 不满意 and 非常不满意 are 差评."""

    VERY_SATISFIED = 5, _("Very satisfied")  # 非常满意
    SATISFIED = 4, _("Satisfied")  # 满意
    BASICALLY_SATISFIED = 3, _("Basically satisfied")  # 基本满意
    DISSATISFIED = 2, _("Dissatisfied")  # 不满意
    VERY_DISSATISFIED = 1, _("Very dissatisfied")  # 非常不满意


#: 差评: a rating at or below this level opens a ``poor_rating`` friction.
POOR = Level.DISSATISFIED


class Stage(models.TextChoices):
    """What is rated: one rating per application and stage (一事多评)."""

    ACCEPTED = "accepted", _("Acceptance")  # 受理
    COMPLETED = "completed", _("Completion")  # 办结
    RERATING = "rerating", _("Rating again after the rectification")  # 复评


class RatingChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    WINDOW = "window", _("At the window")


class OnlineIndicator(models.TextChoices):
    """The national indicators for online service (versioned nationally; not changed locally)."""

    OVERALL = "overall", _("Overall satisfaction")  # 整体满意度
    EFFICIENCY = "efficiency", _("Efficiency of handling")  # 办事效率
    GUIDE_ACCURACY = "guide_accuracy", _("Accuracy of the service guide")  # 办事指南精确度
    CONVENIENCE = "convenience", _("Convenience")  # 办事便捷度
    USABILITY = "usability", _("Ease of using the platform")  # 平台操作性


class WindowIndicator(models.TextChoices):
    """The national indicators for window service."""

    OVERALL = "overall", _("Overall satisfaction")  # 整体满意度
    EFFICIENCY = "efficiency", _("Efficiency of service")  # 服务效率
    SERVICE_LEVEL = "service_level", _("Standard of service")  # 服务水平
    ATTITUDE = "attitude", _("Attitude of service")  # 服务态度


INDICATORS: dict[str, type[models.TextChoices]] = {
    RatingChannel.ONLINE: OnlineIndicator,
    RatingChannel.WINDOW: WindowIndicator,
}


class Rating(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="ratings")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="ratings")
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices)
    #: 1 for acceptance and completion; the n-th rating again after a rectification (复评).
    round = models.PositiveSmallIntegerField(default=1)
    channel = models.CharField(_("channel"), max_length=8, choices=RatingChannel.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices)
    indicators = models.JSONField(_("indicators"), default=dict, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    #: Who handled it, when it was rated (谁办理、谁负责): the community and the department.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="ratings")
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings"
    )
    #: The ``poor_rating`` friction a 差评 opened.
    friction = models.ForeignKey(
        Friction, on_delete=models.PROTECT, null=True, blank=True, related_name="ratings"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "stage", "round"], name="rating_once_per_stage"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=5), name="rating_level_1_to_5"
            ),
        ]
        indexes = [models.Index(fields=["department", "-at"]), models.Index(fields=["-at"])]

    def __str__(self) -> str:
        return f"{self.application_id} {self.stage} {self.level}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Written once: a rating is the resident's word and nobody changes it afterwards
        (only the friction it opened may be linked, by the service that wrote it)."""
        if not self._state.adding and set(kwargs.get("update_fields") or ()) != {"friction"}:
            raise ValueError("A rating is never changed once given.")
        super().save(*args, **kwargs)

    @property
    def poor(self) -> bool:
        return self.level <= POOR


class RatingInvitation(models.Model):
    """智能邀评: the one invitation to rate a completed application (sent or not: a resident
    without a phone number is not asked twice either)."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="rating_invitation"
    )
    sent = models.BooleanField(default=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rating invitation")
        verbose_name_plural = _("rating invitations")

    def __str__(self) -> str:
        return f"{self.application_id}"
