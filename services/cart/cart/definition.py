"""The cart service as the shared runtime sees it.

No tables, migrations or event handlers yet: ``migrate`` applies only the runtime's
branch (outbox and inbox tables), and the worker runs only the outbox relay.
"""

from service_runtime.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="cart",
    app="cart.app:create_app()",
    api_port=8103,
    worker_port=9103,
    metadata=None,
    migrations=None,
    handlers=None,
)
