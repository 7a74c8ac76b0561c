"""``python -m api_gateway.flash_pool api``: the gateway's flash-sale pool (see
``api_gateway.definition.FLASH_POOL``)."""

from api_gateway.definition import FLASH_POOL
from service_runtime.cli import build_cli


def main() -> None:
    build_cli(FLASH_POOL)()


if __name__ == "__main__":
    main()
