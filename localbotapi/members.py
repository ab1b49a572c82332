"""Chat members: getChatMember, getChatAdministrators, and the control call that sets a member's status.

The server does not model joining: a known user is a "member" of every group unless set_chat_member says otherwise.
"""

from __future__ import annotations

from typing import Any

from .model import ApiError, Bot, Chat
from .params import Params
from .state import ServerState

MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})


class MembersApi(ServerState):
    def set_chat_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Make USER_ID the group's "creator" or an "administrator", or a "member", "left" or "kicked" one."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        with self._lock:
            if user_id not in self._users:
                raise ValueError(f"unknown user {user_id}; call add_user first")
            chat = self._chats.get(chat_id)
            if chat is None or chat.type == "private":
                raise ValueError(f"no group or channel {chat_id}")
            self._member_status[(chat_id, user_id)] = status

    def _member_chat(self, p: Params) -> Chat:
        chat = self._chat(p)
        if chat.migrated_to is not None:
            self._check_can_write(chat)
        if chat.type != "private" and chat.kicked:
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _m_getChatMember(self, bot: Bot, p: Params) -> dict[str, Any]:
        chat = self._member_chat(p)
        user_id = p.get_int("user_id")
        user = self._users.get(user_id) if user_id is not None else None
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        if chat.type == "private":
            status = "member" if user.id == chat.id else "left"
        else:
            status = self._member_status.get((chat.id, user.id), "member")
        return chat_member(chat, user.as_dict(), status)

    def _m_getChatAdministrators(self, bot: Bot, p: Params) -> list[dict[str, Any]]:
        chat = self._member_chat(p)
        if chat.type == "private":
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        return [
            chat_member(chat, self._users[user_id].as_dict(), status)
            for (chat_id, user_id), status in sorted(self._member_status.items())
            if chat_id == chat.id and status in ("creator", "administrator")
        ]


def chat_member(chat: Chat, user: dict[str, Any], status: str) -> dict[str, Any]:
    """A ChatMember object as the Bot API returns it (ChatMemberOwner, …Administrator, …Member, …Left, …Banned),
    with the fields Client.cpp's JsonChatMember and json_store_administrator_rights write for the chat's type
    (a "kicked" member always has until_date, 0 = forever)."""
    member: dict[str, Any] = {"user": user, "status": status}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            can_be_edited=False, is_anonymous=False, can_manage_chat=True, can_delete_messages=True,
            can_manage_video_chats=True, can_restrict_members=True, can_promote_members=False, can_change_info=True,
            can_invite_users=True, can_post_stories=False, can_edit_stories=False, can_delete_stories=False,
        )
        if chat.type == "channel":
            member.update(can_post_messages=True, can_edit_messages=True)
        else:
            member["can_pin_messages"] = True
        if chat.type == "supergroup":
            member["can_manage_topics"] = False
    elif status == "kicked":
        member["until_date"] = 0
    return member
