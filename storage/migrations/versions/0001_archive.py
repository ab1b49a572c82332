"""Archive: issues, 要目 entries, articles, the full-text index, subscribers.

Revision ID: 0001_archive
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import storage.types

revision: str = "0001_archive"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "issues",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("masthead", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("year_key", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("total_number", sa.Integer(), nullable=True),
        sa.Column("publisher", sa.Text(), nullable=True),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("rank_slot", sa.Integer(), nullable=False),
        sa.Column("footer", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("masthead", "year_key", "number", name="uq_issues_identity"),
    )
    op.create_index("ix_issues_total_number", "issues", ["total_number"])
    op.create_table(
        "toc_entries",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("section", sa.Text(), nullable=True),
        sa.UniqueConstraint("issue_id", "position", name="uq_toc_entries_position"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("issue_id", sa.Integer(), sa.ForeignKey("issues.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("search_key", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("search_title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.UniqueConstraint("issue_id", "position", name="uq_articles_position"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        # Tokens are produced by storage.textindex (space separated, already folded), so the FTS5 tokenizer only
        # has to split on spaces: 'ascii' treats every non-ASCII character as part of a token. Contentless (the
        # text is in articles); rows are removed with the 'delete' command and the recomputed tokens. The rowid is
        # articles.search_key, so "ORDER BY rowid DESC LIMIT n" returns the newest matches without a sort.
        # prefix='1' indexes every token under its first character too: one-character queries ("景"*) become a
        # single lookup instead of a merge of every bigram that starts with that character.
        op.execute(
            "CREATE VIRTUAL TABLE article_search USING fts5(title, body, content='', tokenize='ascii', prefix='1')"
        )
    else:
        op.create_table(
            "article_search",
            sa.Column(
                "article_id",
                sa.Integer(),
                sa.ForeignKey("articles.id", ondelete="CASCADE"),
                primary_key=True,
            ),
            sa.Column("tokens", postgresql.TSVECTOR(), nullable=False),
            # Folded title, newline, folded body: what candidates are checked against (see IssueRepository.search).
            sa.Column("folded", sa.Text(), nullable=False),
        )
        op.create_index(
            "ix_article_search_tokens", "article_search", ["tokens"], postgresql_using="gin"
        )
    op.create_table(
        "subscribers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=False, unique=True),
        sa.Column("chat_type", sa.String(20), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("language_code", sa.String(35), nullable=True),
        sa.Column("department", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("subscribed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("deactivated_reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_subscribers_active", "subscribers", ["active"])


def downgrade() -> None:
    op.drop_index("ix_subscribers_active", "subscribers")
    op.drop_table("subscribers")
    op.drop_table("article_search")
    op.drop_table("articles")
    op.drop_table("toc_entries")
    op.drop_index("ix_issues_total_number", "issues")
    op.drop_table("issues")
