"""Entry point of python -m demos: runs the demos in turn."""


def main() -> None:
    """Run every demo (none yet)."""
    print("glassgrad demos: nothing yet")


if __name__ == "__main__":
    main()
