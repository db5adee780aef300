"""Storage: SQLAlchemy models, engine/session, repositories, migrations, full-text search."""
