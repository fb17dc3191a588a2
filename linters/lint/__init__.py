"""``sendguard lint``: template linting for pull-request pipelines.

Template files (and SES stored templates) are checked without any customer:
each piece of fixed text is analysed with the ``{{#if}}`` conditions it sits
under, so a status claim inside ``{{#if is_vip}}`` passes and the same claim
unconditionally does not. With sample customers the full engine runs too.

The package imports nothing itself: rule modules import ``linters.lint.hits`` (what
a template-time check reads and returns) without loading the linter.
"""
