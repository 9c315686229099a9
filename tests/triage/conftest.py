from tests.dbfixtures import db_url, engine, sessions  # noqa: F401  (fixtures)
