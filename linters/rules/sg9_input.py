"""SG900-SG902: what ``sendguard lint`` says about its input rather than a message.

``linters.lint`` reports them where it reads templates, suppression comments and
files; no message is judged for them, so their rule functions find nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Action, Hit
from ..registry import INPUT, NoSettings, rule


@rule("SG900", "template-syntax", Action.BLOCK, NoSettings, stage=INPUT)
def template_syntax(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A template SES cannot render.

    An unclosed or mismatched block, an unknown helper or a partial: SES would refuse the template at send time. The finding points at the tag that breaks it.
    """
    return iter(())


@rule("SG901", "bad-suppression", Action.BLOCK, NoSettings, stage=INPUT)
def bad_suppression(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A sendguard-disable comment without a reason, or naming no known rule.

    Write `{{!-- sendguard-disable SG201: reason --}}`: the rule id and a reason a reviewer can judge are both required.
    """
    return iter(())


@rule("SG902", "unreadable-input", Action.BLOCK, NoSettings, stage=INPUT)
def unreadable_input(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A file named on the command line could not be linted.

    It is missing, is not UTF-8 text, is JSON that is not an SES template, or has front matter that is not valid YAML. The other files are still linted.
    """
    return iter(())
