"""Files: uploads (sendDocument, sendPhoto), getFile and downloads from /file/bot<token>/<path>."""

from __future__ import annotations

import base64
import mimetypes
import struct
from typing import Any

from aiohttp import web

from .content import ContentChecks
from .model import ApiError, Bot, StoredFile
from .params import Params, json_response

MAX_DOWNLOAD = 20 << 20


MAX_UPLOAD = 50 << 20


MAX_PHOTO = 10 << 20


class FilesApi(ContentChecks):
    """Stored files, the methods that send or look them up, and the download endpoint."""

    def _new_file(
        self, kind: str, data: bytes, file_name: str | None, mime_type: str | None, width: int = 0, height: int = 0
    ) -> StoredFile:
        n = self._next_file
        self._next_file += 1
        packed = base64.urlsafe_b64encode(struct.pack(">QI", n, len(data) & 0xFFFFFFFF)).decode().rstrip("=")
        prefix = "BQACAgIAAxkBAA" if kind == "documents" else "AgACAgIAAxkBAA"
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1][:10]
        elif kind == "photos":
            ext = ".jpg"
        f = StoredFile(
            file_id=prefix + packed,
            file_unique_id="AgAD" + packed[:12],
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            file_path=f"{kind}/file_{n}{ext}",
            width=width,
            height=height,
        )
        self._files[f.file_id] = f
        self._files_by_path[f.file_path] = f
        return f

    def _input_file(self, p: Params, name: str, kind: str) -> StoredFile:
        v = p.raw(name)
        if v is None:
            raise ApiError(400, f"Bad Request: there is no {name} in the request")
        if isinstance(v, str) and v.startswith("attach://"):
            v = p.raw(v[len("attach://") :])
            if v is None:
                raise ApiError(400, f"Bad Request: there is no {name} in the request")
        if isinstance(v, web.FileField):
            data = v.file.read()
            limit = MAX_PHOTO if kind == "photos" else MAX_UPLOAD
            if len(data) > limit:
                raise ApiError(413, "Request Entity Too Large")
            if not data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            file_name = v.filename or name
            mime = v.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(file_name)[0] or "application/octet-stream"
            if kind == "photos":
                dims = _image_size(data)
                if dims is None:
                    raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
                return self._new_file(kind, data, None, None, *dims)
            return self._new_file(kind, data, file_name, mime)
        if isinstance(v, str):
            f = self._files.get(v)
            if f is None:
                raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
            return f
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _send_file(self, bot: Bot, p: Params, field: str, kind: str, method: str) -> dict[str, Any]:
        chat = self._chat(p)
        self._check_can_write(chat, method)
        f = self._input_file(p, field, kind)
        parsed = self._caption_param(p)
        markup = self._markup(chat, p)
        reply_to = self._reply_to(chat, p)
        return self._send(
            bot, chat, p, method, reply_to, text=None, html=None, entities=(), reply_markup=markup,
            document=(f.file_name or "", f.data) if kind == "documents" else None,
            photo=f.data if kind == "photos" else None,
            caption=parsed.text or None, caption_entities=parsed.entities, file_id=f.file_id,
        )

    def _m_sendDocument(self, bot: Bot, p: Params) -> dict[str, Any]:
        return self._send_file(bot, p, "document", "documents", "sendDocument")

    def _m_sendPhoto(self, bot: Bot, p: Params) -> dict[str, Any]:
        return self._send_file(bot, p, "photo", "photos", "sendPhoto")

    def _m_getFile(self, bot: Bot, p: Params) -> dict[str, Any]:
        fid = p.get_str("file_id")
        if not fid:
            raise ApiError(400, "Bad Request: file_id not specified")  # Client::check_remote_file_id
        f = self._files.get(fid)
        if f is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        if len(f.data) > MAX_DOWNLOAD:
            raise ApiError(400, "Bad Request: file is too big")
        return {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": len(f.data),
            "file_path": f.file_path,
        }

    def _handle_file(self, token: str, file_path: str) -> web.StreamResponse:
        with self._lock:
            if token not in self._bots:
                return json_response(ApiError(401, "Unauthorized").payload(), 401)
            f = self._files_by_path.get(file_path)
        if f is None:
            return json_response(ApiError(404, "Not Found").payload(), 404)
        return web.Response(body=f.data, content_type=f.mime_type or "application/octet-stream")


def _image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, JPEG or GIF image, from its header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            seg_len = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + seg_len
    return None
