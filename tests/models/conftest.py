"""Database fixtures: every test here runs on a fresh SQLite file and a fresh PostgreSQL schema."""

from db_fixtures import db_url, engine, open_db, postgres_available

__all__ = ["db_url", "engine", "open_db", "postgres_available"]
