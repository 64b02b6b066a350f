from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from govdesk.accounts.models import User
from govdesk.accounts.services import token_create
from govdesk.demo.loader import personas_load, regions_load, staff_load
from govdesk.organisations.models import Region

PASSWORD = "test-password-123"


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def regions(db: None) -> dict[str, Region]:
    return regions_load()


@pytest.fixture
def world(regions: dict[str, Region]) -> dict[str, Region]:
    """The demo city with its staff and the personas of PRODUCT.md."""
    staff_load(regions, PASSWORD)
    personas_load(regions)
    return regions


@pytest.fixture
def staff_token(world: dict[str, Region]) -> Iterator[Any]:
    def make(username: str) -> str:
        return token_create(user=User.objects.get(username=username))

    yield make


@pytest.fixture
def api(client: Client) -> Any:
    class Api:
        def get(self, path: str, token: str | None = None, **headers: str) -> Any:
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return client.get(path, headers=headers)

    return Api()
