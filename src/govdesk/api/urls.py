"""The /api/v1/ surface: one NinjaAPI, routers per domain."""

from __future__ import annotations

from ninja import NinjaAPI, Swagger

from govdesk.api import errors
from govdesk.api.applications import bundles_router
from govdesk.api.applications import router as applications_router
from govdesk.api.auth import BearerToken
from govdesk.api.catalog import ask_router, certificates_router
from govdesk.api.catalog import router as matters_router
from govdesk.api.certificates import router as issued_certificates_router
from govdesk.api.certificates import verify_router
from govdesk.api.frictions import router as frictions_router
from govdesk.api.people import router as people_router
from govdesk.api.ratings import router as ratings_router

api = NinjaAPI(
    title="govdesk API",
    version="1",
    description=(
        "Grassroots government services on one platform. Authenticate with "
        "`Authorization: Bearer <token>` (`govdesk token create USERNAME`, or "
        "`govdesk token create --resident ID_NUMBER`). Every error answers with a "
        "machine-readable `code`. Text never holds the NUL character (U+0000): a request with "
        "one is refused with 422."
    ),
    auth=BearerToken(),
    urls_namespace="api-v1",
    # Swagger UI from Ninja's static files ("ninja" in INSTALLED_APPS), and without its online
    # validator (validator.swagger.io): the docs page asks no other host for anything.
    docs=Swagger(settings={"validatorUrl": None}),
)
errors.install(api)
api.add_router("/people", people_router)
api.add_router("/applications", applications_router)
api.add_router("/applications", ratings_router)
api.add_router("/bundles", bundles_router)
api.add_router("/matters", matters_router)
api.add_router("/certificate-types", certificates_router)
api.add_router("/ask", ask_router)
api.add_router("/certificates", issued_certificates_router)
api.add_router("/verify", verify_router)
api.add_router("/frictions", frictions_router)
