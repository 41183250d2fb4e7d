"""The exceptions chronique raises, in one hierarchy.

::

    ChroniqueError                 base of everything below
    ├── InputError                 an input could not be read or parsed (names the input)
    │   ├── EmptyInputError        the input holds no text
    │   ├── BinaryInputError       the input is not text
    │   ├── EncodingError          the input is not valid in any encoding we accept
    │   ├── TooLargeError          the input exceeds the configured size cap
    │   ├── MalformedRecordError   a JSON/CSV record is not what the format expects
    │   ├── FetchError             a web page could not be fetched (network, timeout, HTTP status)
    │   └── RefusedError           a web page is not fetched on purpose (robots.txt, private address, cap)
    ├── ConfigError                a setting, registry name or option is invalid
    ├── ModelError                 a model could not be loaded (missing package, bad folder)
    └── StoreError                 the SQLite store is unusable (wrong schema, corrupt file)

Every message says what was expected and what arrived.
"""

from __future__ import annotations

__all__ = [
    "BinaryInputError",
    "ChroniqueError",
    "ConfigError",
    "EmptyInputError",
    "EncodingError",
    "FetchError",
    "InputError",
    "MalformedRecordError",
    "ModelError",
    "RefusedError",
    "StoreError",
    "TooLargeError",
]


class ChroniqueError(Exception):
    """Base class of every error chronique raises on purpose."""


class InputError(ChroniqueError):
    """An input could not be turned into articles.

    Args:
        source: the input's name (a path, ``path:line`` or URL).
        problem: what was wrong, saying what was expected and what arrived.
    """

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"{source}: {problem}")


class EmptyInputError(InputError):
    """The input holds no text at all."""


class BinaryInputError(InputError):
    """The input is binary data, not text."""


class EncodingError(InputError):
    """The input's bytes are not valid text in any accepted encoding."""


class TooLargeError(InputError):
    """The input exceeds the configured maximum size."""


class MalformedRecordError(InputError):
    """A structured record (JSON line, CSV row) does not have the expected shape."""


class FetchError(InputError):
    """A web page could not be fetched: the network failed, it timed out, or the server said no."""


class RefusedError(InputError):
    """A web page is not fetched on purpose: robots.txt, a private address, or the per-host cap."""


class ConfigError(ChroniqueError):
    """A setting, option or registry name is invalid."""


class ModelError(ChroniqueError):
    """A model could not be loaded."""


class StoreError(ChroniqueError):
    """The store cannot be opened or has an unexpected schema."""
