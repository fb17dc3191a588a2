"""One-click unsubscribe (RFC 8058) for the marketing email the guard sends.

- ``token``: the signed token in an unsubscribe link (recipient, channel, topic, time);
- ``keys``: the signing key, an SSM SecureString read through Powertools (cached);
- ``headers``: what the guard adds to a marketing email (``List-Unsubscribe`` and
  ``List-Unsubscribe-Post``, or SES subscription management), chosen by the policy's
  ``[unsubscribe]`` table;
- ``route``: the public ``GET``/``POST /unsubscribe`` route of the stack's HTTP API
  (OneClickUnsubscribeFunction): GET shows a confirmation page, POST unsubscribes.
"""
