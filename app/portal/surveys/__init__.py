"""Satisfaction surveys: sent when a ticket is solved, answered once from the mail's link, and the
supervisors' follow-up tasks that poor answers open."""
