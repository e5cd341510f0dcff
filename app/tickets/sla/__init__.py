"""SLA: business-hours calendars, policies and the clocks they start on every ticket, and the check
that flags breaches."""
