"""Customers' personal data: the data subject's export, erasure on request, and the log of who opened a
profile. The use cases live here; other rooms add their parts through the customers room's signals
(`personal_data_requested`, `customer_erase_staged`)."""
