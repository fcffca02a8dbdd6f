"""The AWS builders of tests/aws, shared here as the same session fixture ``aws``."""

from tests.aws.conftest import aws  # noqa: F401
