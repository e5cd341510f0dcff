"""Jobs (level 1): what the workers could not do. RQ's failed-job registries, shown to admins with what
each job ran and why it failed, to run again or to drop (`Permission.JOBS_MANAGE`).

The queues themselves are the kernel's (`app.queue`); this room only reads and tends their failures.
"""

from flask import Flask

from app import extensions


def init_app(app: Flask) -> None:
    # `extensions.api`, not `api`: the name belongs to this package's module of REST endpoints.
    from app.jobs import api as api_views
    from app.jobs import pages

    for blueprint in api_views.blueprints:
        extensions.csrf.exempt(blueprint)
        extensions.api.register_blueprint(blueprint)
    app.register_blueprint(pages.bp)
