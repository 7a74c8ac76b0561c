"""The web pages as the shared runtime sees them: stateless, an HTTP app only."""

from service_runtime.service import ServiceDefinition
from shop_web.settings import WebSettings

DEFINITION = ServiceDefinition(
    name="web",
    app="shop_web.app:create_app()",
    api_port=8090,
    worker_port=0,
    settings=WebSettings,
    stateful=False,
)
