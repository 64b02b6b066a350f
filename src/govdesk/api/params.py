"""What several operations share in the OpenAPI document: the identifiers they take, with their
form, and the PDF some answer with."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StringConstraints, WithJsonSchema

from govdesk.catalog.models import CODE_MAX_LENGTH, CODE_PATTERN
from govdesk.common.idnumbers import ID_NUMBER_PATTERN

#: An ID number, as the document describes it. Stated, not checked here: ``idnumbers.parse``
#: checks it and more (date, region, check character) wherever an ID number is used, and answers
#: 422 saying what is wrong (``format``, ``length``, ``checksum`` …); a refused reading of the
#: registry is audited like any other.
IdNumber = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "pattern": ID_NUMBER_PATTERN,
            "minLength": 15,
            "maxLength": 18,
            "description": "18 characters (an X allowed last), or an old 15-digit number",
        }
    ),
]

#: A matter or bundle code (HRSS-001, BUNDLE-NEWBORN), checked before the operation runs.
Code = Annotated[
    str, StringConstraints(min_length=3, max_length=CODE_MAX_LENGTH, pattern=CODE_PATTERN)
]

#: ``openapi_extra`` of an operation that answers 200 with a PDF (its ``response`` says
#: ``200: None``): the document names the media type, so clients and checks know what comes.
PDF_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The PDF",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}

#: The code of a material's template (``household_income_declaration``).
TEMPLATE_PATTERN = r"^[a-z][a-z0-9_]*$"

#: ``openapi_extra`` of an operation that answers 200 with an uploaded file.
UPLOAD_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The file as uploaded: a JPEG or PNG photo, or a PDF",
            "content": {
                media: {"schema": {"type": "string", "format": "binary"}}
                for media in ("image/jpeg", "image/png", "application/pdf")
            },
        }
    }
}
