"""sendguard: lint and guard outbound customer messages that fake a relationship.

The Python API (``linters/api.py``)::

    import sendguard

    result = sendguard.check(request)            # a dict, JSON text or a SendRequest
    result.decision, result.findings, result.message, result.to_dict()
    sendguard.lint(["templates/"])               # LintResult, as `sendguard lint`
    sendguard.preflight("promo.hbs", records)    # PreflightResult, as `sendguard preflight`
    sendguard.rules()                            # the rule catalog

The names are loaded on first use (PEP 562), so ``import sendguard`` stays cheap and
spaCy loads with the first check, lint or preflight.

The installed distribution keeps the repository's packages (``linters``, ``functions``)
under ``sendguard/_engine/`` instead of at the top of site-packages, where such
generic names would collide with other projects. The API imports the engine from there
as a subpackage, without touching ``sys.path``; the ``sendguard`` command (see
``sendguard._entry``) puts that folder first on ``sys.path`` for its own process only.
In a source checkout (no ``_engine`` folder) the engine is the checkout's ``linters``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
    "Action",
    "Change",
    "CheckResult",
    "CustomerSummary",
    "Decision",
    "Finding",
    "InputError",
    "LintFinding",
    "LintResult",
    "Policy",
    "PolicyError",
    "PreflightResult",
    "PreflightSummary",
    "RequestError",
    "RuleInfo",
    "SelectionError",
    "SendRequest",
    "Verdict",
    "__version__",
    "catalog",
    "check",
    "lint",
    "load_policy",
    "preflight",
    "rule",
    "rules",
]
# Everything but the version comes from ``linters.api``, loaded by ``__getattr__`` on first use.
_API_NAMES = frozenset(__all__) - {"__version__"}

if TYPE_CHECKING:  # for type checkers and editors: the installed layout
    from ._engine.linters.api import (
        Action,
        Change,
        CheckResult,
        CustomerSummary,
        Decision,
        Finding,
        InputError,
        LintFinding,
        LintResult,
        Policy,
        PolicyError,
        PreflightResult,
        PreflightSummary,
        RequestError,
        RuleInfo,
        SelectionError,
        SendRequest,
        Verdict,
        catalog,
        check,
        lint,
        load_policy,
        preflight,
        rule,
        rules,
    )


def _engine_api() -> Any:
    """``linters.api``: installed, ``sendguard._engine.linters.api``; in a source checkout
    (where a .pth or ``sendguard._entry`` puts the checkout on the path), ``linters.api``."""
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    if not os.path.isdir(os.path.join(here, "_engine", "linters")):
        try:
            from linters import api  # the checkout's engine, beside this package
        except ModuleNotFoundError as exc:
            if exc.name != "linters":
                raise
        else:
            return api
    from ._engine.linters import api  # the wheel's layout (or an editable install's mapping)

    return api


def __getattr__(name: str) -> Any:
    if name in _API_NAMES:
        value = getattr(_engine_api(), name)
        globals()[name] = value  # later lookups do not come here
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _API_NAMES)
