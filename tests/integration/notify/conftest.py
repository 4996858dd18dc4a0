from tests.fixtures.receivers import receiver

__all__ = ["receiver"]
