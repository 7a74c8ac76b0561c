"""The gateway as the shared runtime sees it: stateless, an HTTP API only."""

import dataclasses

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

# The same gateway, run as a pool of its own for flash-sale traffic
# (``python -m api_gateway.flash_pool api``): the ingress sends /api/v1/flash-sales there,
# and the storefront its flash pages' calls, so a storm of buyers queues on threads and
# processes of its own while shoppers browsing meanwhile go through the gateway as usual.
FLASH_POOL = dataclasses.replace(DEFINITION, api_port=8088)
