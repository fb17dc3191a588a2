"""The key that signs unsubscribe links: an SSM SecureString, read through Powertools.

The parameter is named by UNSUBSCRIBE_KEY_PARAMETER (template.yaml: ``/<stack>/unsubscribe-key``).
CloudFormation cannot create a SecureString, so the guard makes it the first time it
needs it (``signing_keys(create=True)``): 48 random bytes, ``PutParameter`` with
``Overwrite`` false, encrypted with the account's ``aws/ssm`` key. Two guards racing to
make it both end up with the one that was written first (the loser reads it back). An
operator may make it beforehand instead, with a key of their own choosing (docs/aws.md).

Rotation without breaking links already in inboxes: the value may hold several keys
separated by whitespace, the newest first. The first signs; any of them verifies. Drop
an old key once the mail that carries it no longer matters.

Reads are cached KEY_MAX_AGE seconds (Powertools' SSMProvider on the shared SSM
client). Anything that stops the key being read is ``KeyUnavailable``: the guard then
does not send (the record is judged again later), the route answers 503; neither ever
signs or accepts with a key it made up.
"""

from __future__ import annotations

import secrets

from botocore.exceptions import BotoCoreError, ClientError

from functions import aws

KEY_PARAMETER = "UNSUBSCRIBE_KEY_PARAMETER"
KEY_MAX_AGE = 300  # seconds a key read is cached in the container
MIN_KEY_CHARS = 32  # 32 characters of base64 text is 192 bits or more
MAX_KEYS = 5


class KeyUnavailable(RuntimeError):
    """The signing key cannot be read (or made); ``code`` is the AWS error, if any."""

    def __init__(self, problem: str, code: str = "") -> None:
        super().__init__(problem)
        self.code = code


def _parameter_name() -> str:
    try:
        return aws.setting(KEY_PARAMETER)
    except aws.MissingSetting as exc:
        raise KeyUnavailable(str(exc)) from None


def _fetch(name: str, force: bool = False) -> str:
    """The parameter's value; KeyUnavailable (with the AWS error code) when unreadable."""
    from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

    try:
        value = aws.ssm_parameters().get(name, max_age=KEY_MAX_AGE, decrypt=True, force_fetch=force)
    except (GetParameterError, BotoCoreError, ClientError) as exc:
        # Powertools raises GetParameterError inside its except: the AWS error is the context.
        code, _ = aws.problem(exc.__context__ if isinstance(exc, GetParameterError) else exc)
        raise KeyUnavailable(f"the unsubscribe key {name} cannot be read ({code})", code) from exc
    if not isinstance(value, str):
        raise KeyUnavailable(f"the unsubscribe key {name} is not text")
    return value


def _create(name: str) -> str:
    """Make the key parameter; the value that is there afterwards, whoever wrote it."""
    value = secrets.token_urlsafe(48)
    try:
        aws.client("ssm").put_parameter(
            Name=name,
            Value=value,
            Type="SecureString",
            Overwrite=False,  # never replace a key: every link signed with it would break
            Description="sendguard: signs one-click unsubscribe links (made by the guard on first use)",
        )
    except ClientError as exc:
        code, _ = aws.problem(exc)
        if code != "ParameterAlreadyExists":
            raise KeyUnavailable(f"the unsubscribe key {name} cannot be made ({code})", code) from exc
        return _fetch(name, force=True)
    except BotoCoreError as exc:
        raise KeyUnavailable(f"the unsubscribe key {name} cannot be made ({type(exc).__name__})") from exc
    return value


def _keys(name: str, value: str) -> tuple[bytes, ...]:
    keys = value.split()
    if not keys or len(keys) > MAX_KEYS:
        raise KeyUnavailable(f"the unsubscribe key {name} holds {len(keys)} keys (1 to {MAX_KEYS})")
    if any(len(key) < MIN_KEY_CHARS for key in keys):
        raise KeyUnavailable(f"every key in {name} is at least {MIN_KEY_CHARS} characters")
    return tuple(key.encode("utf-8") for key in keys)


def signing_keys(create: bool = False) -> tuple[bytes, ...]:
    """The keys, the signing one first. ``create``: make the parameter when it does not
    exist (the guard); the route never makes one (no link can carry an unmade key)."""
    name = _parameter_name()
    try:
        value = _fetch(name)
    except KeyUnavailable as exc:
        if not (create and exc.code == "ParameterNotFound"):
            raise
        value = _create(name)
    return _keys(name, value)
