"""Merge tags that reached the reader unrendered, and template scaffolding.

Shared by SG103 at send time (linters/rules/sg1_personalization.py) and by the
template linter (linters/lint/static.py), so both find the same tags.
"""

from __future__ import annotations

import re

_FOREIGN = (
    r"\*\|[A-Z0-9_:]{2,40}\|\*"  # Mailchimp *|FNAME|*
    r"|%%[A-Za-z0-9_=]{2,40}%%"  # Salesforce %%First_Name%%
    r"|\$\{[A-Za-z_][\w.]{0,40}\}"  # ${first_name}
    r"|<<[A-Za-z][A-Za-z _]{1,30}>>"  # <<First Name>>
    r"|%[A-Z][A-Z_]{2,30}%"  # %FIRSTNAME%
    # [First Name], [Product Name], [Company Name, LLC], [x]; not a Markdown link "[x](url)"
    r"|\[(?:[A-Z][A-Za-z]*|[A-Z]+|x|X)(?:,?[ _](?:[A-Z][A-Za-z]*|LLC|of|the|and|or|for|to|a|an|address)){0,4}\](?!\()"
)

# Other tools' merge tags and bracketed scaffolding: what a template must not contain.
FOREIGN_TAGS = re.compile(_FOREIGN)

# Every tag starts with one of these; most texts have none, and one C-speed scan for
# them is much cheaper than trying each alternative at every position.
TAG_START = re.compile(r"[{*%$<\[]")

# In rendered text, also Handlebars ("{{first_name}}" from data) and "{first_name}".
UNRENDERED = re.compile(
    r"(?=[{*%$<\[])(?:\{\{[^{}\n]{0,60}\}\}|\{\$?[a-z_][a-z0-9_]{1,30}\}|" + _FOREIGN + ")"
)
