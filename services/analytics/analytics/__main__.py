from analytics.definition import DEFINITION
from service_runtime.cli import build_cli


def main() -> None:
    build_cli(DEFINITION)()


if __name__ == "__main__":
    main()
