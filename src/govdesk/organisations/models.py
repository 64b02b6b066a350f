"""Regions (city › district › subdistrict › community), service points and departments."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    COMMUNITY = "community", _("Community")


#: Between the codes of a region's ``path``. "Inside" is a prefix test *with* this separator:
#: without it, ``32/0205`` would also take in ``32/02051``.
PATH_SEPARATOR = "/"

LEVEL_DEPTH = {
    RegionLevel.CITY: 0,
    RegionLevel.DISTRICT: 1,
    RegionLevel.SUBDISTRICT: 2,
    RegionLevel.COMMUNITY: 3,
}


class Region(models.Model):
    """An administrative area. ``path`` is the chain of codes from the city down, so that
    "is X inside Y" is a prefix test that a single indexed query can answer."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=64)
    level = models.CharField(_("level"), max_length=16, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    path = models.CharField(max_length=128, db_index=True, editable=False)

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def contains(self, other: Region) -> bool:
        """True if ``other`` is this region or lies inside it."""
        return other.path == self.path or other.path.startswith(self.path + PATH_SEPARATOR)

    def subtree_q(self, via: str = "") -> Q:
        """The query form of :meth:`contains`: rows whose region is this one or lies inside
        it. ``via`` is the lookup from the queried model to its region ("region", "issuer",
        "household__region"); empty when querying regions themselves."""
        field = f"{via}__path" if via else "path"
        return Q(**{field: self.path}) | Q(**{f"{field}__startswith": self.path + PATH_SEPARATOR})


class Department(models.Model):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    short_name = models.CharField(_("short name"), max_length=16)
    name_en = models.CharField(_("English name"), max_length=100, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="departments"
    )

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServicePoint(models.Model):
    """A window: a community service station or a subdistrict service centre."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="service_points")
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
