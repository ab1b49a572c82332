"""The web reader: the archive over HTTP (ASGI, Starlette + Jinja2), also a Telegram Mini App."""
