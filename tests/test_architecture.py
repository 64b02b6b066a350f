"""ADR 1's dependency order, enforced: no app imports one above it or beside it, and there are no
import cycles between apps or between modules. The checker is tests/architecture.py."""

from __future__ import annotations

from textwrap import dedent

import pytest

from tests.architecture import (
    TIERS,
    Import,
    Module,
    app_cycles,
    collect_imports,
    layer_violations,
    load_modules,
    module_cycles,
    unknown_apps,
)

ADR = "docs/adr/0001-django-apps-and-services.md"

#: Imports that go against the order and are let through, each (file, imported module), with why.
#: Only files being reworked by someone else at the time may appear here (applications/*,
#: workbench/views.py, portal/views.py): a violation anywhere else is fixed, not listed. An entry
#: that no longer matches a violating import fails test_allowed_exceptions_are_still_needed, so
#: the set only shrinks. Empty: the tree keeps the order without exceptions.
ALLOWED: frozenset[tuple[str, str]] = frozenset()


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return collect_imports(load_modules())


def _failure(title: str, lines: list[str]) -> str:
    return f"{title} (see {ADR}):\n" + "\n".join(f"  {line}" for line in lines)


def test_every_package_has_a_tier() -> None:
    missing = unknown_apps(load_modules())
    assert not missing, _failure("Packages with no place in the order", missing)


def test_the_apps_keep_the_dependency_order(imports: list[Import]) -> None:
    violations = layer_violations(imports, ALLOWED)
    assert not violations, _failure(
        f"{len(violations)} import(s) go against the dependency order", violations
    )


def test_no_import_cycles_between_apps(imports: list[Import]) -> None:
    cycles = app_cycles(imports)
    assert not cycles, _failure("Import cycles between apps", cycles)


def test_no_import_cycles_between_modules(imports: list[Import]) -> None:
    cycles = module_cycles(imports)
    assert not cycles, _failure("Module-level import cycles", cycles)


def test_allowed_exceptions_are_still_needed(imports: list[Import]) -> None:
    violating = {
        (imp.path, imp.imported)
        for imp in imports
        if layer_violations([imp])  # a violation when nothing is allowed
    }
    stale = sorted(f"{path} → {module}" for path, module in ALLOWED - violating)
    assert not stale, _failure("ALLOWED entries no import needs any more; remove them", stale)


def test_the_checker_reads_the_real_tree(imports: list[Import]) -> None:
    """Guards the guard: the tree is found and its imports are seen, at both levels."""
    assert len(imports) > 100
    assert any(imp.function_level for imp in imports)
    assert any(imp.type_only for imp in imports)  # common.principal's model types
    assert sum(len(tier) for tier in TIERS) == len({app for tier in TIERS for app in tier})


# The checker on synthetic sources: it does report what it is meant to.


def _module(name: str, source: str = "", *, package: bool = False) -> Module:
    path = "src/" + name.replace(".", "/") + ("/__init__.py" if package else ".py")
    return Module(name=name, path=path, source=dedent(source), is_package=package)


def _tree(*extra: Module) -> list[Module]:
    """A few real module names to import, plus ``extra``."""
    names = ["govdesk.applications.models", "govdesk.accounts.models", "govdesk.catalog.models"]
    return [_module(name) for name in names] + list(extra)


def test_a_lower_app_importing_a_higher_one_is_reported() -> None:
    bad = _module(
        "govdesk.common.x",
        """
        from govdesk.applications.models import Application
        """,
    )
    violations = layer_violations(collect_imports(_tree(bad)))
    assert violations == [
        "src/govdesk/common/x.py:2: common → applications (govdesk.applications.models): "
        "imports a higher tier"
    ]


def test_imports_inside_functions_count_and_type_only_ones_do_not() -> None:
    source = """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from govdesk.applications.models import Application
        else:
            import govdesk.catalog.models

        def later() -> None:
            from govdesk.applications import models
    """
    imports = collect_imports(_tree(_module("govdesk.people.x", source)))
    assert [(line.split(":")[1], line.split(": ")[1]) for line in layer_violations(imports)] == [
        ("7", "people → catalog (govdesk.catalog.models)"),
        ("10", "people → applications (govdesk.applications.models)"),
    ]


def test_same_tier_imports_are_reported_and_lower_ones_are_not() -> None:
    catalog = _module("govdesk.catalog.x", "from govdesk.accounts.models import User\n")
    portal = _module("govdesk.portal.x", "from govdesk.api import urls\n")
    fine = _module("govdesk.certificates.x", "from govdesk.catalog import models\n")
    violations = layer_violations(
        collect_imports(_tree(catalog, portal, fine, _module("govdesk.api.urls")))
    )
    assert violations == [
        "src/govdesk/catalog/x.py:1: catalog → accounts (govdesk.accounts.models): same tier",
        "src/govdesk/portal/x.py:1: portal → api (govdesk.api.urls): same tier",
    ]


def test_allowed_lets_a_named_import_through() -> None:
    bad = _module("govdesk.common.x", "from govdesk.applications.models import Application\n")
    imports = collect_imports(_tree(bad))
    assert layer_violations(imports, frozenset({(bad.path, "govdesk.applications.models")})) == []


def test_relative_imports_are_resolved() -> None:
    package = _module("govdesk.organisations", "from ..accounts import models\n", package=True)
    module = _module("govdesk.organisations.x", "from ..applications.models import A\n")
    violations = layer_violations(collect_imports(_tree(package, module)))
    assert [line.split(": ", 1)[1] for line in violations] == [
        "organisations → accounts (govdesk.accounts.models): imports a higher tier",
        "organisations → applications (govdesk.applications.models): imports a higher tier",
    ]


def test_a_package_missing_from_the_tiers_is_reported() -> None:
    stray = _module("govdesk.newapp.models", "from govdesk.common import errors\n")
    assert unknown_apps([stray]) == [
        "src/govdesk/newapp/models.py: app 'newapp' has no tier; "
        "add it to TIERS (or PROJECT_MODULES)"
    ]
    assert "has no tier" in layer_violations(collect_imports([stray, _module("govdesk.common")]))[0]


def test_a_cycle_between_modules_is_reported() -> None:
    a = _module("govdesk.forms.a", "from govdesk.forms import b\n")
    b = _module("govdesk.forms.b", "\n\nfrom govdesk.forms.c import thing\n")
    c = _module("govdesk.forms.c", "import govdesk.forms.a\n")
    cycles = module_cycles(collect_imports([a, b, c]))
    assert cycles == [
        "govdesk.forms.a → govdesk.forms.b → govdesk.forms.c → govdesk.forms.a\n"
        "    govdesk.forms.a → govdesk.forms.b  (src/govdesk/forms/a.py:1)\n"
        "    govdesk.forms.b → govdesk.forms.c  (src/govdesk/forms/b.py:3)\n"
        "    govdesk.forms.c → govdesk.forms.a  (src/govdesk/forms/c.py:1)"
    ]


def test_an_import_inside_a_function_breaks_a_module_cycle() -> None:
    a = _module("govdesk.forms.a", "from govdesk.forms import b\n")
    b = _module("govdesk.forms.b", "def f() -> None:\n    from govdesk.forms import a\n")
    assert module_cycles(collect_imports([a, b])) == []


def test_a_cycle_between_apps_is_reported_even_through_a_function() -> None:
    forms = _module("govdesk.forms.x", "from govdesk.catalog.models import Matter\n")
    catalog = _module("govdesk.catalog.models", "def f() -> None:\n    import govdesk.forms.x\n")
    cycles = app_cycles(collect_imports([forms, catalog]))
    assert cycles == [
        "catalog → forms → catalog\n"
        "    catalog → forms  (src/govdesk/catalog/models.py:2)\n"
        "    forms → catalog  (src/govdesk/forms/x.py:1)"
    ]
