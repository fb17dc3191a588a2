"""The end of `make demo`: a reviewer releases one quarantined message and denies another.

Runs against the demo's moto, as ``sendguard review`` would: the release is judged
again under the reviewer's override and sent by the guard's own code through the
delivery record (at most once); the deny keeps the other message unsent for good.
Both decisions are conditional writes on the decisions table, with who, when and why.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from functions.review import release, store

RELEASE_ID = "reengage-lena-0412"
RELEASE_ACCEPT = {"SG000", "SG202"}
RELEASE_REASON = "Lena has bought in our cafe for years; in-store purchases are not in her record"
DENY_ID = "shipping-notice-55120"
DENY_REASON = "unfilled merge tags; the notice is re-sent from the fixed template"
SUPPRESSED_ID = "sms-sale-priya"  # SG601 + SG602: never released, whatever the reviewer says


def show_review() -> None:
    from functions import local

    who = store.who_am_i()
    pending = store.find(store.Filters(), datetime.now(UTC))
    print(f"\nReview ({len(pending)} pending): `sendguard review list`, as {who}")
    for row in pending:
        print(f"  {row['id'][:30]:<30} {' '.join(store.rules_of(row))}")
    emails_before = len(local.sent_email())
    outcome = release.release(RELEASE_ID, RELEASE_REASON, who, accept=RELEASE_ACCEPT)
    print(
        f"release {RELEASE_ID} (accepting {', '.join(sorted(RELEASE_ACCEPT))}): {outcome.state}, {outcome.detail}"
    )
    outcome = release.deny(DENY_ID, DENY_REASON, who)
    print(f"deny {DENY_ID}: {outcome.state}, {outcome.detail}")
    for key in (RELEASE_ID, DENY_ID):
        try:
            release.release(key, "a second click", who)
        except store.AlreadyDecided as exc:
            print(f"  again: {exc}")
    try:
        release.release(SUPPRESSED_ID, "she asked for the sale texts", who)
    except release.ReleaseRefused as exc:
        print(f"release {SUPPRESSED_ID}: refused: {exc}")
    print(f"SES received {len(local.sent_email()) - emails_before} more email(s) (the released one)")
    print(f"\n{'ID':<24} {'STATE':<9} AUDIT (review_log on the decisions row)")
    for key in (RELEASE_ID, DENY_ID, SUPPRESSED_ID):
        row = store.get(key)
        state = store.state_of(row, datetime.now(UTC))
        print(f"{key:<24} {state:<9} {json.dumps(row.get('review_log', []), default=str)[:110]}")
