"""The public verification page: ``/verify/<token>``. Anyone with the code (the QR on the
certificate) sees whether it is valid, revoked or expired, and may upload a PDF to check that
it is the certificate as issued (signature valid and identical to the record)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from govdesk.certificates import selectors
from govdesk.common import ratelimit

MAX_UPLOAD = 5 * 1024 * 1024


class UploadForm(forms.Form):
    document = forms.FileField(
        label=_("The certificate PDF"),
        help_text=_("The file is checked and not kept."),
    )

    def clean_document(self) -> object:
        document = self.cleaned_data["document"]
        if document.size > MAX_UPLOAD:
            raise forms.ValidationError(
                _("The file is larger than 5 MB; this is not a certificate.")
            )
        return document


def _minutes(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M")


#: The verification code is in the path. ``strict-origin`` sends no path in any Referer (to
#: this site or another; nothing at all from HTTPS to HTTP), yet the browser still sends this
#: page's Origin with its own POSTs (the upload, the language switch), which Django's CSRF check
#: compares with the host. ``no-referrer`` made that Origin "null": every POST was refused.
REFERRER_POLICY = "strict-origin"


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest, token: str) -> HttpResponse:
    response = _verify(request, token)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = REFERRER_POLICY
    return response


def _verify(request: HttpRequest, token: str) -> HttpResponse:
    decision = ratelimit.verification_hit(request)
    if not decision.allowed:
        response = render(
            request,
            "certificates/verify.html",
            {"throttled": True, "retry_after": decision.retry_after},
            status=429,
        )
        response["Retry-After"] = str(decision.retry_after)
        return response
    result = selectors.verification(token=token)
    form = UploadForm()
    upload = None
    if result is not None and request.method == "POST":
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            document = form.cleaned_data["document"]
            upload = selectors.check_upload(token=token, data=document.read())
    shown = {
        key: _minutes(result[key]) for key in ("issued_at", "revoked_at") if result and result[key]
    }
    return render(
        request,
        "certificates/verify.html",
        {"result": result, "shown": shown, "form": form, "upload": upload},
        status=200 if result is not None else 404,
    )
