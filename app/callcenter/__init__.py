"""Call center: agent presence, routing and offers, calls and CTI events, the agent console (level 3).

The room is registered now so the app's shape is final; its namespaces and endpoints arrive with the
console work.
"""

from flask import Flask


def init_app(app: Flask) -> None:
    """Nothing to register yet."""
