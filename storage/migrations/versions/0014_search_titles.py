"""Search without long index passes for the title tier (SQLite) or the GIN pending lists (PostgreSQL).

SQLite: article_search_titles, a contentless FTS5 trigram index of each article's folded title keyed by search_key,
kept by triggers on articles. The title tier of a word of three or more characters is then a phrase over titles
alone; in article_search a column filter walks every article containing the word's tokens anywhere (a word with
punctuation: nearly all of them) to find the few with it in the title.

PostgreSQL: the GIN indexes keep at most 256 kB of not-yet-merged entries (the default is 4 MB), and what is pending
now is merged. Every search reads the whole pending list, and an archive that gains an issue a day is vacuumed
(which merges it) once in years.

Revision ID: 0014_search_titles
Revises: 0013_web_signins
"""

from __future__ import annotations

from alembic import op

revision = "0014_search_titles"
down_revision = "0013_web_signins"
branch_labels = None
depends_on = None

_GIN = ("ix_article_search_tokens", "ix_article_search_title_tokens")
_TRIGGERS = {
    "tr_articles_search_titles_insert": (
        "AFTER INSERT ON articles BEGIN "
        "INSERT INTO article_search_titles (rowid, title) VALUES (new.search_key, new.search_title); END"
    ),
    "tr_articles_search_titles_delete": (
        "AFTER DELETE ON articles BEGIN "
        "INSERT INTO article_search_titles (article_search_titles, rowid, title) "
        "VALUES ('delete', old.search_key, old.search_title); END"
    ),
    "tr_articles_search_titles_update": (
        "AFTER UPDATE OF search_key, search_title ON articles BEGIN "
        "INSERT INTO article_search_titles (article_search_titles, rowid, title) "
        "VALUES ('delete', old.search_key, old.search_title); "
        "INSERT INTO article_search_titles (rowid, title) VALUES (new.search_key, new.search_title); END"
    ),
}


def upgrade() -> None:
    """SQLite: the title index, filled, and its triggers. PostgreSQL: smaller GIN pending lists, merged now."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # case_sensitive 1: the titles are folded already, and a trigram phrase then matches exactly a substring.
        op.execute(
            "CREATE VIRTUAL TABLE article_search_titles USING fts5(title, content='', "
            "tokenize='trigram case_sensitive 1')"
        )
        op.execute("INSERT INTO article_search_titles (rowid, title) SELECT search_key, search_title FROM articles")
        for name, body in _TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")
        return
    for index in _GIN:
        op.execute(f"ALTER INDEX {index} SET (gin_pending_list_limit = 256)")
        op.execute(f"SELECT gin_clean_pending_list(CAST('{index}' AS regclass))")


def downgrade() -> None:
    """Drop the title index and its triggers (SQLite); the default pending lists (PostgreSQL)."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for name in _TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE article_search_titles")
        return
    for index in _GIN:
        op.execute(f"ALTER INDEX {index} RESET (gin_pending_list_limit)")
