"""Signals of the customers room: how higher rooms hear about customers and add to their timeline.

Receivers run in the sender's process. Connect them in the receiving room's `init_app` (or its
`receivers.py`), and keep them cheap.

- `customer_merge_staged(target, source_id, target_id, actor)`: a staged change, sent inside the merge's
  transaction before its commit. The sender is the surviving `Customer`; `source_id` is the customer
  that disappears into it; `actor` is the `Agent` who merges, or None. Rooms holding rows of the source
  (tickets, calls, surveys) re-point them to `target_id` in the session and do nothing else, so the
  merge and every room's share of it commit together: nothing waits for a job (or for Redis). It is
  sent again when the same merge is repeated, for rows that reached the source meanwhile: receivers
  must be idempotent (`UPDATE ... WHERE customer_id = source`).
- `customers_merged(target, source_id, target_id, actor)`: the same, sent after the merge is
  committed, for news that may go astray (emits, enqueues); it is sent again on a repeated merge too.

- `timeline_requested(customer_id, before, limit, customer_ids, viewer)`: sent while building a
  customer's timeline. The sender is the customer's id (an `int`); `customer_ids` lists that id and the
  ids of the customers merged into it, for rooms that keep history under old ids; `before` is an aware
  UTC `datetime` or None; `limit` is an `int`; `viewer` is the `Agent` reading it (None: the desk
  itself), and a receiver leaves out what the viewer may not see (tickets of queues closed to them). A
  receiver returns a list (at most `limit` long) of entries that occurred strictly before `before`,
  each a dict::

      {"occurred_at": <aware datetime>, "kind": "ticket_opened", "source": "tickets",
       "title": "Ticket #12 opened", "data": {...JSON...}, "ref": {"type": "ticket", "id": 12}}

  `data` and `ref` may be left out. `text`, a lazily translated sentence (`flask_babel.lazy_gettext`),
  is what the pages show in their language; `title` is the English the API returns, and may be left out
  when `text` is given (it is then `text` read in English). Returning None contributes nothing. The
  customers service merges every receiver's entries with its own events, newest first.

- `profile_sections_requested(customer, viewer)`: the agent's profile page asks rooms above for sections
  of their own (the tickets room lists the customer's tickets). The sender is the `Customer` shown;
  `viewer` is the signed-in `Agent`, whose access rules the receiver applies. A receiver answers with a
  list of rendered HTML sections (`markupsafe.Markup`, each a `<section class="card">`), or None.

Personal data (`customers.privacy`), for data subjects' requests:

- `personal_data_requested(customer_id, customer_ids)`: a question, sent while exporting one person's
  data. The sender is the customer's id; `customer_ids` lists it and the customers merged into it. A
  receiver answers with a read-only query: a dict of sections of its own (`{"tickets": [...]}`),
  JSON-ready (text, numbers, booleans, None, lists, dicts; times as ISO 8601 text), or None.
- `customer_erase_staged(customer_id, customer_ids, actor)`: a staged change, sent inside the erasure's
  transaction before its commit. Receivers overwrite the personal values their rows of these customers
  hold (texts, names, addresses, files) and keep every row and every value KPIs count (times,
  statuses, queues, scores, who answered): they add to the session and do nothing else, so the erasure
  commits whole or not at all.
"""

from blinker import Namespace

_signals = Namespace()

customer_merge_staged = _signals.signal("customer-merge-staged")
customers_merged = _signals.signal("customers-merged")
timeline_requested = _signals.signal("customer-timeline-requested")
profile_sections_requested = _signals.signal("customer-profile-sections-requested")
personal_data_requested = _signals.signal("customer-personal-data-requested")
customer_erase_staged = _signals.signal("customer-erase-staged")
