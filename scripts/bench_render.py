"""Our Handlebars renderer next to pybars3, side by side in one run. Run with `make bench`.

Prints renders per second of a compiled order-confirmation email (HTML, a loop over
the order lines, conditionals) and compiles per second of a 50 KB newsletter, for
ours (with provenance) and for pybars3 (without), and the ratio ours / pybars3.
pybars3 is a dev dependency: it is the oracle of the differential test, not used at
run time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from linters.render import Template  # installed by `make` (pip install -e)

ORDER_HTML = (
    "<html><body><p>Hi {{#if first_name}}{{first_name}}{{else}}there{{/if}},</p>\n"
    "<p>Thanks for order {{order.id}}, placed on {{order.date}}.</p>\n<table>\n"
    "{{#each order.lines}}<tr><td>{{@index}}</td><td>{{name}}</td><td>{{qty}}</td><td>{{price}}</td>"
    "{{#if gift}}<td>gift-wrapped for {{../first_name}}</td>{{/if}}</tr>\n{{/each}}</table>\n"
    "{{#unless order.paid}}<p>Payment is pending.</p>{{/unless}}\n"
    "<p>Delivery to {{address.street}}, {{address.city}} &amp; {{address.postcode}}.</p>\n"
    "<p>Questions? Reply to this email.</p></body></html>"
)
ORDER_DATA = {
    "first_name": "Ana",
    "order": {
        "id": "NW-10442",
        "date": "2026-11-21",
        "paid": True,
        "lines": [
            {"name": f"Wool coat <size {i}>", "qty": i % 3 + 1, "price": f"£{89 + i}.00", "gift": i % 4 == 0}
            for i in range(12)
        ],
    },
    "address": {"street": "12 Harbour Street", "city": "Portland", "postcode": "PO1 2HS"},
}
NEWSLETTER = (
    "<p>Dear {{first_name}},</p>\n"
    + "<p>Our winter collection is here: coats, boots and scarves made to last. {{#if vip}}As a member you "
    "get early access.{{/if}} Read more at https://northwind.example/winter.</p>\n" * 220
)


def rate(run: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls per second of ``run`` over about ``seconds`` of wall time."""
    run()
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        run()
        count += 1
    return count / elapsed


def main() -> None:
    import pybars

    compiler = pybars.Compiler()
    ours = Template(ORDER_HTML, True)
    theirs = compiler.compile(ORDER_HTML)
    assert str(theirs(ORDER_DATA)) == ours.render(ORDER_DATA).text, "the two renderers disagree"

    rows = [
        (
            "render, order email (compiled once)",
            rate(lambda: ours.render(ORDER_DATA)),
            rate(lambda: theirs(ORDER_DATA)),
        ),
        (
            f"compile, {len(NEWSLETTER) // 1000} KB newsletter",
            rate(lambda: Template(NEWSLETTER, True)),
            rate(lambda: compiler.compile(NEWSLETTER), seconds=2.0),
        ),
    ]
    print(f"{'renderer benchmark':40} {'ours/s':>10} {'pybars3/s':>10} {'ratio':>7}")
    for name, mine, other in rows:
        print(f"{name:40} {mine:10.1f} {other:10.1f} {mine / other:6.1f}x")


if __name__ == "__main__":
    main()
