"""Storage errors.

::

    StorageError
    ├── DatabaseUnavailable   the database cannot be reached or opened (names the URL, no password)
    ├── SchemaOutOfDate       the database needs ``yuqing db upgrade``
    ├── DuplicateSource       a source with that name or URL exists
    └── NotFound              a source, post or case that does not exist
"""


class StorageError(Exception):
    """Base of every storage error."""


class DatabaseUnavailable(StorageError):
    pass


class SchemaOutOfDate(StorageError):
    pass


class DuplicateSource(StorageError):
    pass


class NotFound(StorageError):
    pass
