"""The web reader in chat: /web (a one-time sign-in link) and inline mode (`@bot 景区` in any chat).

Inline results come from the archive's search without internal issues (内部资料), whoever asks: an inline result
can be sent into any chat. Choosing one sends its title, issue and a link: the reader's page when [web] base_url is
set, else a deep link that opens the article in the bot.
"""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.ext import ChosenInlineResultHandler, CommandHandler, InlineQueryHandler, filters

from bot.common.chat import reply, unit_of_work, user_lang
from bot.common.context import Ctx, deps
from bot.common.feature import Extension
from bulletin.i18n import lang_of, t
from bulletin.render import Button, bold, esc, issue_label, reader_url
from config import Config
from jobs import reader as uc
from storage.archive import SearchHit
from storage.types import utcnow

log = logging.getLogger(__name__)

# Telegram shows at most 50 results per answer; 20 fill a phone's screen and keep the answer small.
INLINE_RESULTS = 20
# Short: new issues should show up soon, and a result set is the same for everyone (is_personal false).
INLINE_CACHE_SECONDS = 30
MAX_INLINE_QUERY = 64  # Telegram sends at most 256 characters; the archive's words are short


async def web_command(update: Update, context: Ctx) -> None:
    """/web: a one-time link that signs this subscriber in to the web reader (private chats only)."""
    lang = user_lang(update)
    chat = update.effective_chat
    assert chat is not None
    config = deps(context).config
    if chat.type != "private":
        await reply(update, context, esc(t(lang, "web_private_only")))
        return
    if not config.web.base_url:
        await reply(update, context, esc(t(lang, "web_disabled")))
        return
    ttl = config.web.signin_ttl
    now = utcnow()
    token = await unit_of_work(context, lambda u: uc.create_signin(u, chat.id, now=now, ttl=ttl))
    if token is None:
        await reply(update, context, esc(t(lang, "web_not_subscriber")))
        return
    link = config.web.base_url.rstrip("/") + "/signin/" + token
    minutes = max(1, int(ttl.total_seconds() // 60))
    text = esc(t(lang, "web_link", minutes=minutes)) + "\n" + esc(link)
    await reply(update, context, text, ((Button(t(lang, "web_signin_button"), url=link),),))


def _article_link(config: Config, bot_username: str, hit: SearchHit) -> str:
    if config.web.base_url:
        return reader_url(config.web.base_url, hit.issue_id, hit.article_position)
    return f"https://t.me/{bot_username}?start=a{hit.issue_id}_{hit.article_position}"


def inline_result(hit: SearchHit, lang: str, link: str) -> InlineQueryResultArticle:
    """One inline result: the article's title, its issue and snippet; sent as title, issue and the link."""
    label = f"{hit.issue.masthead} {issue_label(hit.issue, lang)}"
    message = "\n".join([bold(esc(hit.article_title)), esc(label), esc(t(lang, "inline_open_reader", url=link))])
    return InlineQueryResultArticle(
        id=f"a{hit.issue_id}_{hit.article_position}",
        title=hit.article_title[:200],
        description=f"{label}\n{hit.snippet}"[:300],
        input_message_content=InputTextMessageContent(
            message, parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
        ),
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "btn_read_web"), url=link)]]),
    )


async def inline_query(update: Update, context: Ctx) -> None:
    """`@bot words` in any chat: matching articles of issues that are not internal, 20 at a time (next_offset)."""
    query = update.inline_query
    assert query is not None
    lang = lang_of(query.from_user.language_code if query.from_user else None)
    words = query.query.strip()[:MAX_INLINE_QUERY]
    offset = int(query.offset) if query.offset.isdigit() and len(query.offset) < 10 else 0
    if not words:
        await query.answer([], cache_time=INLINE_CACHE_SECONDS, is_personal=False)
        return
    page = await unit_of_work(
        context, lambda u: uc.search(u, words, offset=offset, limit=INLINE_RESULTS, include_internal=False)
    )
    config = deps(context).config
    username = context.bot.username
    results = [inline_result(hit, lang, _article_link(config, username, hit)) for hit in page.hits]
    next_offset = str(page.next_offset) if page.next_offset is not None else ""
    await query.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=False, next_offset=next_offset)


async def chosen_inline_result(update: Update, context: Ctx) -> None:
    """A user sent one of our inline results (Telegram reports it when inline feedback is on in BotFather)."""
    chosen = update.chosen_inline_result
    assert chosen is not None
    log.info("inline result %s chosen for query %r", chosen.result_id, chosen.query[:MAX_INLINE_QUERY])


def webapp_extension(config: Config, factory: object) -> Extension:
    """ExtensionFactory: /web and inline mode."""
    return Extension(handlers=[
        CommandHandler("web", web_command, filters=filters.UpdateType.MESSAGE),
        InlineQueryHandler(inline_query),
        ChosenInlineResultHandler(chosen_inline_result),
    ])



