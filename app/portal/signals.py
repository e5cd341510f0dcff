"""Signals of the portal: how rooms above add to the customers' pages.

- `tracking_sections_requested(ticket, token)`: a question, sent while a case's tracking page is built.
  The sender is the `Ticket` shown; `token` is the link's token the customer opened it with (for links
  to pages of their own behind the same link). A receiver answers with a list of rendered HTML sections
  (`markupsafe.Markup`, each a `<section>`), shown below the case's facts in the page's language, or
  None. Receivers answer with a read-only query.
"""

from blinker import Namespace

_signals = Namespace()

tracking_sections_requested = _signals.signal("portal-tracking-sections-requested")
