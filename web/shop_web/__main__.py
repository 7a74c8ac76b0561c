from service_runtime.cli import build_cli
from shop_web.definition import DEFINITION


def main() -> None:
    build_cli(DEFINITION)()


if __name__ == "__main__":
    main()
