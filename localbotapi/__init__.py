"""A local Telegram Bot API server for tests and the offline sandbox (real HTTP, Telegram's shapes and errors).

Typical use in a test::

    server = LocalBotApi(limits=Limits(private_per_second=100))   # default limits are Telegram's, strictly
    server.start()
    server.add_bot(TOKEN)                     # username "bulletin_test_bot"
    server.add_user(42, "Li")                 # started=True by default: the bot may write to them
    app = ApplicationBuilder().token(TOKEN).base_url(server.api_base_url())
                              .base_file_url(server.file_base_url()).build()
    server.send_text(TOKEN, 42, 42, "/latest")
    assert server.wait_for(lambda: len(server.messages(42)) == 1)
    server.stop()

Note: the default per-private-chat limit is a strict sliding window of 1 message per second, so a bot
that answers with several messages in a row gets 429 unless it paces itself; pass ``Limits`` to relax it.
Other processes use POST /_control/<name> with a JSON body of the same keyword arguments.
"""

from .limits import Limits
from .model import ApiError, SentMessage
from .server import LocalBotApi
from .tghtml import EntityParseError, ParsedText, parse_html, utf16_len

__all__ = [
    "ApiError",
    "EntityParseError",
    "Limits",
    "LocalBotApi",
    "ParsedText",
    "SentMessage",
    "parse_html",
    "utf16_len",
]
