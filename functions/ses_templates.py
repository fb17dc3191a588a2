"""Stored SES templates, read with SES v1 (moto implements v1 templates; SESv2's
CreateEmailTemplate is not in moto). Shared by `sendguard lint --from-ses`
(``account_templates``, the engine's TemplateProvider), `sendguard import-ses` and the
guard's stored-template lookup."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linters.models import InlineTemplate


def template_names(ses: Any) -> Iterator[str]:
    kwargs: dict[str, Any] = {"MaxItems": 100}
    while True:
        page = ses.list_templates(**kwargs)
        for meta in page.get("TemplatesMetadata", []):
            yield meta["Name"]
        token = page.get("NextToken")
        if not token:
            return
        kwargs["NextToken"] = token


def get_template(ses: Any, name: str) -> InlineTemplate | None:
    try:
        body = ses.get_template(TemplateName=name)["Template"]
    except ses.exceptions.TemplateDoesNotExistException:
        return None
    return InlineTemplate(
        subject=body.get("SubjectPart"), text=body.get("TextPart"), html=body.get("HtmlPart")
    )


def all_templates(ses: Any) -> Iterator[tuple[str, InlineTemplate]]:
    for name in template_names(ses):
        found = get_template(ses, name)
        if found is not None:
            yield name, found


def account_templates(region: str | None = None) -> Iterator[tuple[str, InlineTemplate]]:
    """Every template stored in the SES account: the ``TemplateProvider``
    (linters/lint/inputs.py) behind ``sendguard lint --from-ses``. An account that
    cannot be read is an InputError, which the lint command reports as a usage error."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from linters.lint.inputs import InputError

    try:
        client = boto3.client("ses", region_name=region) if region else boto3.client("ses")
        yield from all_templates(client)
    except (BotoCoreError, ClientError) as exc:
        raise InputError(f"cannot list the SES templates: {exc}") from None
