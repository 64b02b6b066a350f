"""The embedded people registry: the local default behind the registry source adapter.

In a real deployment these records belong to other departments (population, social security,
civil affairs, the disabled persons' federation, the e-licence library) and are read through an
HTTP adapter; here they are kept locally and filled with synthetic data.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from govdesk.organisations.models import Region


class Source(models.TextChoices):
    """Where a value comes from, in the words the screen shows."""

    POPULATION = "population", _("Population registry")
    SOCIAL_SECURITY = "social_security", _("Social security registry")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs registry")
    DISABLED_FEDERATION = "disabled_federation", _("Disabled persons' federation")
    MEDICAL_INSURANCE = "medical_insurance", _("Medical insurance registry")
    LICENCE_LIBRARY = "licence_library", _("E-licence library")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class HukouType(models.TextChoices):
    URBAN = "urban", _("Urban")
    RURAL = "rural", _("Rural")


class Person(models.Model):
    id_number = models.CharField(_("ID number"), max_length=18, unique=True)
    name = models.CharField(_("name"), max_length=64)
    former_name = models.CharField(_("former name"), max_length=64, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("date of birth"))
    ethnicity = models.CharField(_("ethnicity"), max_length=16, default="汉族")
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    hukou_type = models.CharField(
        _("household registration type"), max_length=8, choices=HukouType.choices
    )
    education = models.CharField(_("education"), max_length=32, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=16, blank=True)
    occupation = models.CharField(_("occupation"), max_length=64, blank=True)
    id_upgraded_from_15 = models.BooleanField(default=False)
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    updated_at = models.DateTimeField(_("registry updated at"))

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name


class Address(models.Model):
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="addresses")
    text = models.CharField(_("address"), max_length=200)
    estate = models.CharField(_("residential estate"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [models.UniqueConstraint(fields=["text"], name="address_text_unique")]

    def __str__(self) -> str:
        return self.text


class Household(models.Model):
    """A registered household (户) at an address, in a community."""

    class Kind(models.TextChoices):
        FAMILY = "family", _("Family household")
        COLLECTIVE = "collective", _("Collective household")

    number = models.CharField(_("household number"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.FAMILY)
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="households")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="households")
    updated_at = models.DateTimeField(_("registry updated at"))

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class Relation(models.TextChoices):
    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    SON = "son", _("Son")
    DAUGHTER = "daughter", _("Daughter")
    DAUGHTER_IN_LAW = "daughter_in_law", _("Daughter-in-law")
    SON_IN_LAW = "son_in_law", _("Son-in-law")
    GRANDSON = "grandson", _("Grandson")
    GRANDDAUGHTER = "granddaughter", _("Granddaughter")
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    SIBLING = "sibling", _("Brother or sister")
    OTHER = "other", _("Other relative")


RELATION_ZH = {
    Relation.HEAD: "户主",
    Relation.SPOUSE: "配偶",
    Relation.SON: "子",
    Relation.DAUGHTER: "女",
    Relation.DAUGHTER_IN_LAW: "儿媳",
    Relation.SON_IN_LAW: "女婿",
    Relation.GRANDSON: "孙子",
    Relation.GRANDDAUGHTER: "孙女",
    Relation.FATHER: "父亲",
    Relation.MOTHER: "母亲",
    Relation.SIBLING: "兄弟姐妹",
    Relation.OTHER: "其他",
}


class Membership(models.Model):
    household = models.ForeignKey(Household, on_delete=models.CASCADE, related_name="members")
    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="membership")
    relation = models.CharField(_("relation to the head"), max_length=16, choices=Relation.choices)
    since = models.DateField(_("registered since"))

    class Meta:
        verbose_name = _("household member")
        verbose_name_plural = _("household members")
        constraints = [
            models.UniqueConstraint(
                fields=["household"],
                condition=models.Q(relation="head"),
                name="one_head_per_household",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} ({self.relation})"


class LicenceType(models.TextChoices):
    ID_CARD = "id_card", _("Resident identity card")
    HOUSEHOLD_REGISTER = "household_register", _("Household register")
    SOCIAL_SECURITY_CARD = "social_security_card", _("Social security card")
    EMPLOYMENT_CARD = "employment_card", _("Employment and entrepreneurship card")
    DISABILITY_CERTIFICATE = "disability_certificate", _("Disability certificate")
    MARRIAGE_CERTIFICATE = "marriage_certificate", _("Marriage certificate")
    RESIDENCE_PERMIT = "residence_permit", _("Residence permit")
    BIRTH_MEDICAL_CERTIFICATE = "birth_medical_certificate", _("Birth medical certificate")
    DIBAO_CERTIFICATE = "dibao_certificate", _("Minimum living allowance certificate")
    VETERAN_CARD = "veteran_card", _("Veteran preferential card")
    ELDERLY_CARD = "elderly_card", _("Senior citizen preferential card")
    BUSINESS_LICENCE = "business_licence", _("Business licence")
    PROPERTY_CERTIFICATE = "property_certificate", _("Real estate certificate")
    DRIVING_LICENCE = "driving_licence", _("Driving licence")
    DEATH_MEDICAL_CERTIFICATE = "death_medical_certificate", _("Medical death certificate")
    RETIREMENT_CERTIFICATE = "retirement_certificate", _("Retirement certificate")
    SPECIAL_HARDSHIP_CERTIFICATE = (
        "special_hardship_certificate",
        _("Special hardship support certificate"),
    )


class Licence(models.Model):
    """An electronic licence or certificate held by the e-licence library for a person."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="licences")
    type = models.CharField(_("type"), max_length=32, choices=LicenceType.choices)
    number = models.CharField(_("number"), max_length=40)
    issuer = models.CharField(_("issuer"), max_length=100)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revoked = models.BooleanField(_("revoked"), default=False)
    data = models.JSONField(_("data"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("e-licence")
        verbose_name_plural = _("e-licences")
        constraints = [
            models.UniqueConstraint(fields=["type", "number"], name="licence_type_number_unique")
        ]
        indexes = [models.Index(fields=["person", "type"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.person_id}"


class EmploymentRecord(models.Model):
    """An employment spell as the social security registry holds it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="employment")
    employer = models.CharField(_("employer"), max_length=100)
    employer_credit_code = models.CharField(_("employer credit code"), max_length=18, blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_reason = models.CharField(_("reason for leaving"), max_length=64, blank=True)
    updated_at = models.DateTimeField(_("registry updated at"))

    class Meta:
        verbose_name = _("employment record")
        verbose_name_plural = _("employment records")
        indexes = [models.Index(fields=["person", "start_date"])]

    def __str__(self) -> str:
        return f"{self.employer} {self.start_date}–{self.end_date or ''}"


class DibaoStatus(models.TextChoices):
    """最低生活保障 (低保) as the civil affairs registry answers it for a person. A person the
    registry holds no record for is not covered (``none``): that is an answer, not a gap."""

    NONE = "none", _("Not receiving the minimum living allowance")
    ACTIVE = "active", _("Receiving the minimum living allowance")
    ENDED = "ended", _("Minimum living allowance ended")


class DisabilityCategory(models.TextChoices):
    """The seven categories of GB/T 26341-2010; ``none`` when the disabled persons' federation
    holds no record for the person."""

    NONE = "none", _("No disability recorded")
    VISUAL = "visual", _("Visual disability")
    HEARING = "hearing", _("Hearing disability")
    SPEECH = "speech", _("Speech disability")
    PHYSICAL = "physical", _("Physical disability")
    INTELLECTUAL = "intellectual", _("Intellectual disability")
    MENTAL = "mental", _("Mental disability")
    MULTIPLE = "multiple", _("Multiple disabilities")


class DisabilityGrade(models.TextChoices):
    """Grades 1 (most severe) to 4 of GB/T 26341-2010; ``none`` without a record."""

    NONE = "none", _("No disability recorded")
    GRADE_1 = "1", _("Grade 1")
    GRADE_2 = "2", _("Grade 2")
    GRADE_3 = "3", _("Grade 3")
    GRADE_4 = "4", _("Grade 4")


#: The digit the second-generation disability certificate number (残疾人证号) carries for each
#: category after the holder's 18-character ID number; the grade's digit follows it.
CATEGORY_DIGITS = {
    DisabilityCategory.VISUAL: "1",
    DisabilityCategory.HEARING: "2",
    DisabilityCategory.SPEECH: "3",
    DisabilityCategory.PHYSICAL: "4",
    DisabilityCategory.INTELLECTUAL: "5",
    DisabilityCategory.MENTAL: "6",
    DisabilityCategory.MULTIPLE: "7",
}


def disability_certificate_number(id_number: str, category: str, grade: str) -> str:
    """残疾人证号: the ID number, then the category's digit, then the grade (20 characters)."""
    return f"{id_number}{CATEGORY_DIGITS[DisabilityCategory(category)]}{int(grade)}"


class DibaoRecord(models.Model):
    """A person covered by the minimum living allowance (最低生活保障), as the civil affairs
    registry (社会救助系统) holds it: covered from ``since``; ``until`` is the day it stopped
    (empty while it is paid). Every member of a covered household has a record."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="dibao")
    since = models.DateField(_("covered since"))
    until = models.DateField(_("covered until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("registry updated at"))

    class Meta:
        verbose_name = _("minimum living allowance record")
        verbose_name_plural = _("minimum living allowance records")

    def __str__(self) -> str:
        return f"低保 {self.person_id} {self.since}–{self.until or ''}"


class DisabilityRecord(models.Model):
    """A person's assessed disability, as the disabled persons' federation (残联) holds it, with
    the number of the disability certificate (残疾人证) it issued; the e-licence library holds
    the certificate itself (``LicenceType.DISABILITY_CERTIFICATE``, the same number)."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="disability")
    category = models.CharField(
        _("category"),
        max_length=16,
        choices=[c for c in DisabilityCategory.choices if c[0] != DisabilityCategory.NONE],
    )
    grade = models.CharField(
        _("grade"),
        max_length=1,
        choices=[c for c in DisabilityGrade.choices if c[0] != DisabilityGrade.NONE],
    )
    certificate_number = models.CharField(
        _("disability certificate number"), max_length=20, unique=True
    )
    assessed_on = models.DateField(_("assessed on"))
    updated_at = models.DateTimeField(_("registry updated at"))

    class Meta:
        verbose_name = _("disability record")
        verbose_name_plural = _("disability records")

    def __str__(self) -> str:
        return f"{self.category} {self.grade} {self.person_id}"


class RegistryFact(models.Model):
    """Any other value a registry holds about a person, keyed by data element
    (``insurance.pension_status``, ``veteran.status`` …). 低保 and disability have records of
    their own (``DibaoRecord``, ``DisabilityRecord``)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="registry_facts")
    element = models.CharField(_("data element"), max_length=64)
    value = models.JSONField(_("value"))
    source = models.CharField(_("source"), max_length=32, choices=Source.choices)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    updated_at = models.DateTimeField(_("registry updated at"))

    class Meta:
        verbose_name = _("registry fact")
        verbose_name_plural = _("registry facts")
        constraints = [
            models.UniqueConstraint(fields=["person", "element"], name="registry_fact_unique")
        ]

    def __str__(self) -> str:
        return f"{self.element} of {self.person_id}"
