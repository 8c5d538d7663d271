"""Keep the output folder in step with what is published."""


def connect() -> None:
    """Connect the publisher to Wagtail's publish and unpublish signals."""
