"""Storage errors.

::

    StorageError
    ├── DatabaseUnavailable   the database cannot be reached or opened (names the URL, no password)
    ├── SchemaOutOfDate       the database needs ``yuqing db upgrade``
    ├── DuplicateSource       a source with that name or URL exists
    ├── InvalidLabels         an analyst's label change that cannot be made as given
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


class InvalidLabels(StorageError):
    """A label request that cannot be carried out as given (``none`` with a category, no
    labels, no analyst named)."""
