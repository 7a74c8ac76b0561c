"""The gateway as the shared runtime sees it: stateless, an HTTP API only."""

from api_gateway.settings import GatewaySettings
from service_runtime.service import ServiceDefinition

DEFINITION = ServiceDefinition(
    name="gateway",
    app="api_gateway.app:create_app()",
    api_port=8080,
    worker_port=0,
    settings=GatewaySettings,
    stateful=False,
)
