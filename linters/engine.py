"""Render, lint and decide: the one entry point the CLI, the Lambdas and the API share."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from . import limits
from .findings import Action, Decision, Finding, Result, decide
from .handlebars import TemplateSyntaxError
from .html_text import visible_text
from .message import PART_ORDER, Message, Part, build_part, rule_text
from .models import Customer, InlineTemplate, RequestError, SendRequest, aware
from .nlp import skeleton_of, vocabulary_in_force, warm
from .policy import Policy
from .render import render
from .rewrite import rewrite_message
from .rule_runner import active_rules as active_rules  # the campaign path resolves them once
from .rule_runner import run_rules

TemplateLookup = Callable[[str], InlineTemplate | None]
CustomerLookup = Callable[[str], Customer | None]

_DEFAULT_POLICY = Policy()


def resolve_template(request: SendRequest, templates: TemplateLookup | None) -> InlineTemplate:
    if isinstance(request.template, InlineTemplate):
        return request.template
    found = templates(request.template.name) if templates else None
    if found is None:
        raise RequestError("template.name", f"no stored template named {request.template.name!r}")
    return found


def resolve_customer(request: SendRequest, customers: CustomerLookup | None) -> Customer | None:
    if request.customer is not None or request.customer_id is None:
        return request.customer
    found = customers(request.customer_id) if customers else None
    if found is None:
        raise RequestError("customer_id", f"no customer record for {request.customer_id!r}")
    return found


def render_parts(
    template: InlineTemplate, data: dict, build: Callable[[str, str, tuple], Part] = build_part
) -> dict[str, Part]:
    parts: dict[str, Part] = {}
    for name in PART_ORDER:
        source = getattr(template, name)
        if source is None:
            continue
        try:
            rendered = render(source, data, escape_html=name == "html")
        except TemplateSyntaxError as exc:
            raise RequestError(f"template.{name}", str(exc)) from exc
        # What is read of HTML (the body as shown, the preheader, alt and title texts) is
        # never longer than the HTML: parse it only when the HTML is over.
        over = name == "html" and len(rendered.text) > limits.MAX_READABLE_CHARS
        readable = limits.read_of_html(visible_text(rendered.text)) if over else None
        limits.check_rendered(f"template.{name}", rendered.text, readable)
        parts[name] = build(name, rendered.text, rendered.values)
    return parts


def analyse_together(
    requests: Iterable[SendRequest], templates: TemplateLookup | None = None, policy: Policy | None = None
) -> None:
    """Analyse the fixed text of many requests in one ``nlp.pipe`` pass before they are
    checked; the checks then find it in the cache. Requests that cannot be rendered are
    skipped here: their check reports why."""
    skeletons = []
    for request in requests:
        try:
            skeletons.extend(_skeletons(request, templates))
        except Exception:
            continue
    with vocabulary_in_force((policy or _DEFAULT_POLICY).vocabulary):
        warm(skeletons)


def _skeletons(request: SendRequest, templates: TemplateLookup | None) -> list[str]:
    template = resolve_template(request, templates)
    within_limits(request, template)
    found = []
    for name in PART_ORDER:
        source = getattr(template, name)
        if source:
            rendered = render(source, request.data, escape_html=name == "html")
            normal, values, _ = rule_text(name, rendered.text, rendered.values)
            found.append(skeleton_of(normal.text, [(v.start, v.end) for v in values])[0])
    return found


def latest_hold(findings: list[Finding]) -> datetime | None:
    """Every hold must have lifted before the message may go: the latest retry_at."""
    times = [f.retry_at for f in findings if f.action == Action.HOLD and f.retry_at]
    return max(times) if times else None


def earliest_retry(message: Message, policy: Policy, findings: list[Finding]) -> datetime | None:
    """The first moment the held message would be allowed.

    The latest hold can land inside another one (a cooldown that ends at 21:30 is inside
    quiet hours), so judge again at that moment until no hold moves it further.
    """
    retry = latest_hold(findings)
    for _ in range(5):
        if retry is None:
            return None
        later = Message(message.request, message.customer, message.parts, retry)
        following = latest_hold([f for f in run_rules(later, policy) if f.action == Action.HOLD])
        if following is None or following <= retry:
            return retry
        retry = following
    return retry


def within_limits(request: SendRequest, template: InlineTemplate) -> None:
    """Refuse, before rendering, what would take the engine long (linters.limits)."""
    limits.check_request(request)
    limits.check_template(template, request.data)


def check(
    request: SendRequest,
    policy: Policy | None = None,
    *,
    templates: TemplateLookup | None = None,
    customers: CustomerLookup | None = None,
    now: datetime | None = None,
) -> Result:
    """Judge one send request. Raises RequestError when it cannot be judged, and only
    that: an input that trips the engine anywhere is refused, never a traceback."""
    policy = policy or _DEFAULT_POLICY
    template = resolve_template(request, templates)
    within_limits(request, template)
    customer = resolve_customer(request, customers)
    return judge_safely(policy, lambda: _judge(request, template, customer, policy, now))


def judge_safely(policy: Policy, judge: Callable[[], Result]) -> Result:
    """Run ``judge`` with the policy's vocabulary in force; any crash is a RequestError.

    Each known crash (deep nesting, years near 9999, lone surrogates) has its own limit
    or check; this net refuses an unknown one instead of failing a whole batch (a CLI
    run, the lint API's 500). The message names the class, so it gets found.
    """
    try:
        with vocabulary_in_force(policy.vocabulary):
            return judge()
    except RequestError:
        raise
    except Exception as exc:
        raise RequestError("", f"the request could not be judged ({type(exc).__name__}: {exc})") from exc


def _judge(
    request: SendRequest,
    template: InlineTemplate,
    customer: Customer | None,
    policy: Policy,
    now: datetime | None,
) -> Result:
    moment = aware(request.now or now or datetime.now(UTC))
    message = Message(request, customer, render_parts(template, request.data), moment)
    findings = run_rules(message, policy)
    decision = decide(findings)
    sent = {name: part.sent for name, part in message.parts.items()}
    retry_at = earliest_retry(message, policy, findings) if decision == Decision.HOLD else None
    result = Result(request.id, decision, findings, sent, retry_at=retry_at)
    if decision == Decision.REWRITE:
        rewrite_message(message, result, policy)
    return result
