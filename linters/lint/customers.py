"""``--customers``: render each template for every sample customer and run the full check."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ..documents import read_requests
from ..engine import check
from ..findings import Action
from ..models import Customer, RequestError, describe_validation_error, parse_request
from .config import LintConfig
from .findings import CustomerSummary
from .inputs import InputError, TemplateSource

_RECIPIENT = {"email": "customer@example.com", "sms": "+15555550100", "voice": "+15555550100"}


class CustomerError(InputError):
    """The template cannot be checked for one sample customer (it does not render for
    them, or the request it makes is refused): the customer's data or the template is
    at fault, so the CLI exits 2 and the API answers 400 naming ``customers.N``."""

    def __init__(self, template: str, index: int, customer: Customer, problem: RequestError) -> None:
        self.template = template
        self.index = index  # 1-based, as the message counts
        self.customer_id = customer.customer_id
        self.problem = problem
        label = f"customer {index}" + (f" ({customer.customer_id!r})" if customer.customer_id else "")
        super().__init__(f"{template}: cannot be checked for {label}: {problem}")


def load_customers(path: str) -> list[Customer]:
    """Customer records from JSON Lines (or a JSON array); an error names the record."""
    customers = []
    for index, source in enumerate(read_requests([path]), 1):
        if source.error:
            raise InputError(f"customers file {source.origin}: {source.error}")
        try:
            customers.append(Customer.model_validate(source.raw))
        except Exception as exc:  # pydantic ValidationError, or a non-object line
            detail = describe_validation_error(exc) if hasattr(exc, "errors") else exc
            raise InputError(f"customers file {path} record {index}: {detail}") from None
    if not customers:
        raise InputError(f"customers file {path}: no customer records")
    return customers


def request_for(template: TemplateSource, customer: Customer, config: LintConfig, now: datetime) -> Any:
    """The send request this template makes for one customer, built from its front matter."""
    meta = template.meta
    record = customer.model_dump(mode="json", exclude_none=True, by_alias=True)
    raw: dict[str, Any] = {
        "id": f"lint-{customer.customer_id or 'customer'}",
        "channel": meta.channel,
        "purpose": meta.purpose or config.lint.default_purpose,
        "automated": meta.automated,
        "to": _RECIPIENT.get(meta.channel, "device-token"),
        "template": {part.name: part.text for part in template.parts},
        # The customer's own fields fill {{first_name}} and the like; sample data fills the rest.
        "data": {**meta.data, **{k: v for k, v in record.items() if not isinstance(v, dict | list)}},
        "customer": record,
        "now": now.isoformat(),
    }
    for key in ("campaign", "trigger", "audience"):
        if getattr(meta, key) is not None:
            raw[key] = getattr(meta, key)
    return parse_request(raw)


def summarize(
    template: TemplateSource, customers: Iterable[Customer], config: LintConfig, now: datetime
) -> list[CustomerSummary]:
    """Findings of the full check over all customers, one summary per rule."""
    by_rule: dict[str, CustomerSummary] = {}
    total = 0
    for index, customer in enumerate(customers, 1):
        total += 1
        try:
            result = check(request_for(template, customer, config, now), config.policy)
        except RequestError as exc:
            raise CustomerError(template.path, index, customer, exc) from None
        for rule_id in dict.fromkeys(f.rule for f in result.findings if f.action != Action.OFF):
            first = next(f for f in result.findings if f.rule == rule_id)
            summary = by_rule.get(rule_id)
            if summary is None:
                by_rule[rule_id] = CustomerSummary(
                    template.path,
                    rule_id,
                    first.name,
                    first.action,
                    1,
                    0,
                    customer.customer_id or f"#{index}",
                    first.message,
                )
            else:
                summary.count += 1
    for summary in by_rule.values():
        summary.customers = total
    return sorted(by_rule.values(), key=lambda s: (-s.count, s.rule))
