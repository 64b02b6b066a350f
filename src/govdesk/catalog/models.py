"""The catalogue: matters with their guides, bundles, certificate types a community may issue,
the certificates a community must not issue, colloquial vocabulary, the Q&A knowledge base and
the rules of proactive offers.

Content is loaded from versioned YAML in ``catalog/data`` (``govdesk load-catalog``) and is
editable in the admin; residents see published entries only.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.catalog.offers import Rule, build_rule
from govdesk.organisations.models import Department, Region

#: The form of every matter, certificate and bundle code (HRSS-001, CERT-RESIDENCE,
#: BUNDLE-NEWBORN): upper-case words of letters and digits joined by hyphens. The loader refuses
#: others, and the API states (and checks) it for the parameters that take a code.
CODE_PATTERN = r"^[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)+$"
CODE_MAX_LENGTH = 64


class Level(models.TextChoices):
    COMMUNITY = "community", _("Community")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    DISTRICT = "district", _("District")
    CITY = "city", _("City")


class LifeEvent(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=32, unique=True)
    name_en = models.CharField(_("English name"), max_length=64, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class Matter(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("standard name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=64, blank=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="matters")
    level = models.CharField(_("handled at"), max_length=16, choices=Level.choices)
    decided_at = models.CharField(_("decided at"), max_length=16, choices=Level.choices)
    category = models.CharField(_("category"), max_length=32, blank=True)
    life_events = models.ManyToManyField(LifeEvent, blank=True, related_name="matters")
    online = models.BooleanField(_("can be applied for online"), default=False)
    summary = models.TextField(_("summary"), blank=True)
    audience = models.TextField(_("who may apply"), blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    steps = models.JSONField(_("steps"), default=list, blank=True)
    time_limit_days = models.PositiveIntegerField(_("statutory time limit (working days)"))
    promised_days = models.PositiveIntegerField(_("promised time limit (working days)"))
    repeat_after_days = models.PositiveIntegerField(
        _("may be applied for again after (days)"),
        null=True,
        blank=True,
        help_text=_(
            "Once approved, the same person applies again only after this many days, or gives a "
            "reason (a change since). Empty: no such rule."
        ),
    )
    fee = models.CharField(_("fee"), max_length=100, default="不收费")
    legal_basis = models.JSONField(_("legal basis"), default=list, blank=True)
    where = models.CharField(_("where to apply"), max_length=200, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    notification = models.CharField(_("how you are told"), max_length=200, blank=True)
    form_code = models.CharField(_("printable form"), max_length=64, blank=True)
    en = models.JSONField(_("English text"), default=dict, blank=True)
    featured_rank = models.PositiveIntegerField(
        _("home page rank when there is no usage yet"),
        null=True,
        blank=True,
        help_text=_(
            "Direct entries on the home page are the most-used matters of the last 90 days, "
            "topped up in this order (1 first). Leave empty: never topped up."
        ),
    )
    pinned = models.BooleanField(
        _("pinned on the home page"),
        default=False,
        help_text=_("Always shown first on the home page, above the direct entries. At most one."),
    )
    published = models.BooleanField(_("published"), default=True)
    version = models.CharField(_("catalogue version"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("matter")
        verbose_name_plural = _("matters")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["pinned"], condition=models.Q(pinned=True), name="matter_one_pinned"
            )
        ]

    def __str__(self) -> str:
        return self.name


class MaterialNeed(models.TextChoices):
    """What a material asks of the resident, as far as anyone can tell without knowing who
    they are. The guide says it; an application resolves it for its applicant
    (``applications.materials``), and may never contradict it."""

    #: The application form the platform generates from what it knows: never asked for.
    GENERATED = "generated", _("Generated by the platform")
    #: An e-licence or registry data can stand for it: asked for only if the system does not
    #: hold it for this person.
    UNLESS_HELD = "unless_held", _("Needed only if the system does not hold it")
    #: Only the resident can provide it (a signed declaration, a private document).
    RESIDENT = "resident", _("Provided by the resident")


class MaterialRequirement(models.Model):
    """A material a matter needs, and what can satisfy it without the resident bringing it:
    an e-licence type, or registry data elements. ``template`` names the printable form
    (``forms`` definition code) the platform fills as far as it can for the resident to
    complete and sign, where the material has one."""

    matter = models.ForeignKey(Matter, on_delete=models.CASCADE, related_name="materials")
    order = models.PositiveIntegerField(default=0)
    name = models.CharField(_("name"), max_length=200)
    required = models.BooleanField(_("required"), default=True)
    licence_type = models.CharField(_("satisfied by e-licence"), max_length=32, blank=True)
    elements = models.JSONField(_("satisfied by data elements"), default=list, blank=True)
    generated_form = models.BooleanField(
        _("the application form the platform generates"), default=False
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    template = models.CharField(
        _("printable template"),
        max_length=64,
        blank=True,
        help_text=_(
            "Code of the form definition printed for the resident to complete and sign, "
            "filled with what the platform already knows."
        ),
    )

    class Meta:
        verbose_name = _("material")
        verbose_name_plural = _("materials")
        ordering = ["matter", "order"]

    def __str__(self) -> str:
        return self.name

    @property
    def need(self) -> MaterialNeed:
        if self.generated_form:
            return MaterialNeed.GENERATED
        if self.licence_type or self.elements:
            return MaterialNeed.UNLESS_HELD
        return MaterialNeed.RESIDENT


class Bundle(models.Model):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    life_events = models.ManyToManyField(LifeEvent, blank=True, related_name="bundles")
    outside_parties = models.JSONField(_("outside parties"), default=list, blank=True)
    en = models.JSONField(_("English text"), default=dict, blank=True)
    published = models.BooleanField(_("published"), default=True)
    version = models.CharField(_("catalogue version"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("bundle")
        verbose_name_plural = _("bundles")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class BundleStep(models.Model):
    bundle = models.ForeignKey(Bundle, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveIntegerField()
    matter = models.ForeignKey(Matter, on_delete=models.PROTECT, related_name="bundle_steps")
    condition = models.CharField(_("applies when"), max_length=200, blank=True)
    skip_unless = models.JSONField(
        _("machine condition"),
        default=dict,
        blank=True,
        help_text=_('A fact test, e.g. {"element": "employment.status", "in": ["unemployed"]}'),
    )

    class Meta:
        verbose_name = _("bundle step")
        verbose_name_plural = _("bundle steps")
        ordering = ["bundle", "order"]
        constraints = [
            models.UniqueConstraint(fields=["bundle", "order"], name="bundle_step_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bundle.code} {self.order}. {self.matter.name}"


class OfferRule(models.Model):
    """A proactive offer (★): the matter or bundle to suggest to a person whose registry facts
    pass ``conditions``, and why. Loaded from ``data/offers.yaml`` (checked there: the rule
    language is ``catalog/offers.py``); the admin shows the rules and does not edit them."""

    code = models.CharField(_("rule"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("order"), default=0)
    matter = models.ForeignKey(
        Matter, on_delete=models.CASCADE, null=True, blank=True, related_name="offer_rules"
    )
    bundle = models.ForeignKey(
        Bundle, on_delete=models.CASCADE, null=True, blank=True, related_name="offer_rules"
    )
    conditions = models.JSONField(_("conditions on registry data elements"))
    reason = models.CharField(_("reason"), max_length=200)
    en = models.JSONField(_("English text"), default=dict, blank=True)
    held_licence = models.CharField(
        _("held as the e-licence"),
        max_length=32,
        blank=True,
        help_text=_("A person who holds this e-licence already has what the rule offers."),
    )
    household = models.BooleanField(
        _("one per household"),
        default=False,
        help_text=_("An application by any member of the household means it is under way."),
    )
    published = models.BooleanField(_("published"), default=True)
    version = models.CharField(_("catalogue version"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("offer rule")
        verbose_name_plural = _("offer rules")
        ordering = ["order"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(matter__isnull=False, bundle__isnull=True)
                | models.Q(matter__isnull=True, bundle__isnull=False),
                name="offer_rule_offers_one_thing",
            )
        ]

    def __str__(self) -> str:
        return self.code

    def rule(self) -> Rule:
        """The stored rule as the evaluation uses it (raises ``OfferRuleError`` if broken)."""
        return build_rule(
            code=self.code,
            when=self.conditions,
            reason=self.reason,
            en=self.en,
            held_licence=self.held_licence,
            household=self.household,
        )


class CertificateType(models.Model):
    """A certificate a community (or subdistrict) may issue."""

    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    level = models.CharField(_("issued at"), max_length=16, choices=Level.choices)
    purpose = models.TextField(_("purpose"), blank=True)
    basis = models.TextField(_("basis"), blank=True)
    materials = models.JSONField(_("materials"), default=list, blank=True)
    validity_days = models.PositiveIntegerField(_("valid for (days)"), default=90)
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="certificate_types",
        help_text=_("Leave empty: every community may issue it."),
    )
    matter = models.OneToOneField(
        Matter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="certificate_type",
        help_text=_("The matter through which it is applied for and issued."),
    )
    en = models.JSONField(_("English text"), default=dict, blank=True)
    published = models.BooleanField(_("published"), default=True)

    class Meta:
        verbose_name = _("certificate type")
        verbose_name_plural = _("certificate types")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ForbiddenCertificate(models.Model):
    """A certificate a community must not issue (民发〔2020〕20号), and where to get the proof."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    instead = models.TextField(_("where to get it instead"))
    instead_department = models.CharField(_("department instead"), max_length=32, blank=True)
    en = models.JSONField(_("English text"), default=dict, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("forbidden certificate")
        verbose_name_plural = _("forbidden certificates")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.name


class SynonymGroup(models.Model):
    """Words residents use for the same thing (colloquial, old names, abbreviations)."""

    words = models.JSONField(_("words"))

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonym groups")

    def __str__(self) -> str:
        return " / ".join(self.words[:4])


class QAEntry(models.Model):
    question = models.CharField(_("question"), max_length=200)
    also = models.JSONField(_("other ways to ask"), default=list, blank=True)
    answer = models.TextField(_("answer"))
    matters = models.ManyToManyField(Matter, blank=True, related_name="qa_entries")
    cites = models.JSONField(_("cited names"), default=list, blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("Q&A entry")
        verbose_name_plural = _("Q&A entries")
        ordering = ["order"]

    def __str__(self) -> str:
        return self.question


class SearchLog(models.Model):
    """A search and whether anyone opened a result: searches nobody opens feed the friction
    log (the catalogue lacks a word residents use)."""

    query = models.CharField(_("query"), max_length=200)
    results = models.PositiveIntegerField(_("results"))
    top = models.CharField(_("top result"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=16, default="web")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    opened = models.CharField(_("result opened"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("search")
        verbose_name_plural = _("searches")
        indexes = [models.Index(fields=["at"])]

    def __str__(self) -> str:
        return self.query


class CatalogueVersion(models.Model):
    """One row whose number moves whenever the data bureau changes the catalogue (matters,
    materials, data elements, forms …): each process keeps what it read of the catalogue and
    reads it again when this number has moved (``catalog.versioned``)."""

    number = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("catalogue version")

    def __str__(self) -> str:
        return str(self.number)
