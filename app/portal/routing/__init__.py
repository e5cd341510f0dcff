"""Where the web form's submissions land: each complaint category, and the support form, mapped to a queue."""
