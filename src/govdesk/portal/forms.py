"""Forms of the public portal. Validation of what the resident types only; rules live in the
services."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _


class SignInForm(forms.Form):
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=24,
        strip=True,
        help_text=_("The 18-character number on your resident identity card."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the text message"),
        max_length=6,
        min_length=6,
        strip=True,
        validators=[RegexValidator(r"^\d{6}$", _("The code has six digits."))],
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"\d{6}"}
        ),
    )


class ModesForm(forms.Form):
    """Display modes. A field left out of the request keeps its current value."""

    elder = forms.ChoiceField(choices=[("1", "on"), ("0", "off")], required=False)
    accessible = forms.ChoiceField(choices=[("1", "on"), ("0", "off")], required=False)
    next = forms.CharField(required=False, max_length=500)
