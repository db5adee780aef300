"""The Bot API methods newsbot calls, answered from the fake's state as Telegram answers them.

Only these: getMe, deleteWebhook, getUpdates (Application start and long polling),
setMyCommands, sendMessage, sendPhoto (by URL), editMessageText, editMessageCaption,
editMessageReplyMarkup, answerCallbackQuery, getChat and getChatMember. Any other method is recorded
and answered ``true``, which is all the bot would see of setChatMenuButton or sendChatAction.

Channels (``add_channel``) answer sends by the bot's rights there; forum supergroups
(``make_forum``) refuse a deleted topic's ``message_thread_id``; sendPhoto fetches nothing
but refuses the URLs a test marked unreachable.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from bench.fakes._telegram_flood import ChatKey, Rejection
from bench.fakes._telegram_html import (
    EntityParseError,
    ParsedText,
    parse_html,
    strip_outer_whitespace,
)
from bench.fakes._telegram_state import (
    ApiError,
    BotState,
    JSONDict,
    chat_key,
    chat_member,
    public_message,
)

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
# Requests a blocked reader's chat refuses (reading chat info still works on real Telegram).
_BLOCKABLE_PREFIXES = ("send", "edit")
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_MIGRATED = "Bad Request: group chat was upgraded to a supergroup chat"
_QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_THREAD_NOT_FOUND = "Bad Request: message thread not found"
_NOT_IN_CHANNEL = "Forbidden: bot is not a member of the channel chat"
_NO_POST_RIGHTS = "Bad Request: need administrator rights in the channel chat"
_MEMBERS_HIDDEN = "Bad Request: member list is inaccessible"
_URL_UNREACHABLE = "Bad Request: failed to get HTTP URL content"
_NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
_NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


class BotMethods(BotState):
    """The state plus the methods that read and change it; callers hold the lock."""

    def __init__(self, *, strict_entities: bool = True, **state: Any) -> None:
        super().__init__(**state)
        self.strict_entities = strict_entities

    def _call(self, method: str, params: JSONDict) -> Any:
        """Answer one request (getUpdates aside), or raise the ApiError Telegram would give."""
        name = method.lower()
        chat_id = params.get("chat_id")
        if chat_id is not None:
            key = self._resolve(chat_key(chat_id))
            if key != chat_key(chat_id):  # a channel's @username: its numeric id from here on
                params = {**params, "chat_id": key}
            if key in self._migrated:
                raise ApiError(400, _MIGRATED, {"migrate_to_chat_id": self._migrated[key]})
            if key in self._blocked and name.startswith(_BLOCKABLE_PREFIXES):
                raise ApiError(403, self._blocked[key])
        handler = _METHODS.get(name)
        if handler is None:
            return True
        return handler(self, params)

    # ------------------------------------------------------------------ updates

    def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        deadline = time.monotonic() + timeout
        with self._changed:
            # Telegram lets one long poll run at a time: a new one ends the previous with 409.
            self._poll_generation += 1
            generation = self._poll_generation
            self._changed.notify_all()
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
            while True:
                if generation != self._poll_generation:
                    raise ApiError(409, _CONFLICT)
                if self._closed:
                    return []
                if self._updates:
                    return [dict(u) for u in self._updates[:limit]]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._changed.wait(remaining)

    # ------------------------------------------------------------------ the bot itself

    def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates") in (True, "true"):
            self._updates.clear()
        return True

    def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise ApiError(400, "Bad Request: commands must be an array of at most 100 commands")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_RE.match(
                str(command.get("command", ""))
            ):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = params.get("scope") or {"type": "default"}
        key = json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")
        self._commands[key] = [dict(c) for c in commands]
        return True

    # ------------------------------------------------------------------ messages

    def _send_message(self, params: JSONDict) -> JSONDict:
        key = chat_key(params.get("chat_id"))
        self._check_can_post(key)
        thread = self._check_thread(key, params)
        parsed, parse_mode = self._parse_text(params)
        markup = _check_markup(params)
        # Paid broadcasts (allow_paid_broadcast) go beyond the free 30/s, up to 1,000/s.
        paid = _is_paid(params)
        self._check_flood("sendMessage", key, paid=paid)
        message = self._new_message(key, thread, markup)
        message["text"] = parsed.text
        if parsed.entities:
            message["entities"] = parsed.entities
        html = params.get("text") if (parse_mode or "").lower() == "html" else None
        return self._deliver(key, message, params, html=html, parse_mode=parse_mode, paid=paid)

    def _send_photo(self, params: JSONDict) -> JSONDict:
        key = chat_key(params.get("chat_id"))
        self._check_can_post(key)
        thread = self._check_thread(key, params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.strip():
            raise ApiError(400, "Bad Request: there is no photo in the request")
        if not photo.startswith(("http://", "https://")):
            raise ApiError(400, "Bad Request: wrong remote file identifier specified")
        parsed, parse_mode = self._parse_markup(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(parsed.text) > MAX_CAPTION_LENGTH:  # UTF-16 units, as utf16_length in parse_html
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = _check_markup(params)
        if photo in self._unreachable_images:
            raise ApiError(400, _URL_UNREACHABLE)
        paid = _is_paid(params)
        self._check_flood("sendPhoto", key, paid=paid)
        message = self._new_message(key, thread, markup)
        unique = f"photo{len(self._sent) + 1}"
        message["photo"] = [
            {"file_id": f"{unique}-s", "file_unique_id": f"{unique}s", "width": 90, "height": 51},
            {"file_id": f"{unique}-m", "file_unique_id": f"{unique}m", "width": 800, "height": 450},
        ]
        if parsed.text:
            message["caption"] = parsed.text
        if parsed.entities:
            message["caption_entities"] = parsed.entities
        html = params.get("caption") if (parse_mode or "").lower() == "html" else None
        return self._deliver(
            key, message, params, html=html, parse_mode=parse_mode, photo=photo, paid=paid
        )

    def _new_message(self, key: ChatKey, thread: int | None, markup: JSONDict | None) -> JSONDict:
        message: JSONDict = {
            "message_id": self._new_message_id(key),
            "from": self._bot_user(),
            "chat": dict(self._chat(key)),
            "date": int(time.time()),
        }
        if thread is not None:
            message.update(message_thread_id=thread, is_topic_message=True)
        if markup is not None and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _deliver(
        self,
        key: ChatKey,
        message: JSONDict,
        params: JSONDict,
        *,
        html: str | None,
        parse_mode: str | None,
        photo: str | None = None,
        paid: bool = False,
    ) -> JSONDict:
        """Count and store a sent message; returns what Telegram answers."""
        self._count_delivery(key, paid=paid)
        record = {
            **message,
            "html": html,
            "parse_mode": parse_mode,
            "reply_markup": params.get("reply_markup"),
            "link_preview_options": params.get("link_preview_options"),
            "disable_notification": params.get("disable_notification"),
            "allow_paid_broadcast": paid,
        }
        if photo is not None:
            record["photo_url"] = photo
        self._messages[(key, message["message_id"])] = record
        self._sent.append(record)
        return message

    def _check_can_post(self, key: ChatKey) -> None:
        """In a channel set up with ``add_channel``: only an administrator allowed to post."""
        rights = self._bot_in_channel.get(key)
        if rights is None:
            return
        status, can_post = rights
        if status in ("left", "kicked"):
            raise ApiError(403, _NOT_IN_CHANNEL)
        if status == "member" or (status == "administrator" and not can_post):
            raise ApiError(400, _NO_POST_RIGHTS)

    def _check_thread(self, key: ChatKey, params: JSONDict) -> int | None:
        """The topic a message goes to in a forum; a deleted or unknown topic is refused."""
        raw = params.get("message_thread_id")
        if raw is None or key not in self._topics:
            return None  # outside forums Telegram has no topics to check
        try:
            thread = int(raw)
        except (TypeError, ValueError):
            raise ApiError(400, _THREAD_NOT_FOUND) from None
        if thread not in self._topics[key]:
            raise ApiError(400, _THREAD_NOT_FOUND)
        return thread

    def _edit_message_text(self, params: JSONDict) -> JSONDict:
        key, record = self._find_message(params)
        if "photo" in record:
            raise ApiError(400, _NO_TEXT_TO_EDIT)
        parsed, parse_mode = self._parse_text(params)
        markup = _check_markup(params)
        if (
            parsed.text == record["text"]
            and parsed.entities == record.get("entities", [])
            and markup == record.get("reply_markup")
        ):
            raise ApiError(400, _NOT_MODIFIED)
        html = params.get("text") if (parse_mode or "").lower() == "html" else None
        _apply_edit(record, text=parsed.text, entities=parsed.entities, markup=markup)
        record.update(html=html, parse_mode=parse_mode)
        self._record_edit("editMessageText", key, record)
        return public_message(record)

    def _edit_message_caption(self, params: JSONDict) -> JSONDict:
        key, record = self._find_message(params)
        if "photo" not in record:
            raise ApiError(400, _NO_CAPTION_TO_EDIT)
        parsed, parse_mode = self._parse_markup(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities")
        )
        if len(parsed.text) > MAX_CAPTION_LENGTH:
            raise ApiError(400, "Bad Request: message caption is too long")
        markup = _check_markup(params)
        if (
            parsed.text == record.get("caption", "")
            and parsed.entities == record.get("caption_entities", [])
            and markup == record.get("reply_markup")
        ):
            raise ApiError(400, _NOT_MODIFIED)
        for field, value in (("caption", parsed.text), ("caption_entities", parsed.entities)):
            if value:
                record[field] = value
            else:
                record.pop(field, None)
        record.update(
            edit_date=int(time.time()),
            reply_markup=markup,
            html=params.get("caption") if (parse_mode or "").lower() == "html" else None,
            parse_mode=parse_mode,
        )
        self._record_edit("editMessageCaption", key, record)
        return public_message(record)

    def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        key, record = self._find_message(params)
        markup = _check_markup(params)
        if markup == record.get("reply_markup"):
            raise ApiError(400, _NOT_MODIFIED)
        if "photo" in record:
            record.update(edit_date=int(time.time()), reply_markup=markup)
        else:
            _apply_edit(record, text=record["text"], entities=record.get("entities"), markup=markup)
        self._record_edit("editMessageReplyMarkup", key, record)
        return public_message(record)

    def _find_message(self, params: JSONDict) -> tuple[ChatKey, JSONDict]:
        key = chat_key(params.get("chat_id"))
        message_id = params.get("message_id")
        record = self._messages.get((key, int(message_id))) if message_id is not None else None
        if record is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        return key, record

    def _record_edit(self, method: str, key: ChatKey, record: JSONDict) -> None:
        self._edits.append(
            {
                "method": method,
                "chat_id": key,
                "message_id": record["message_id"],
                "text": record.get("text", record.get("caption", "")),
                "html": record.get("html"),
                "parse_mode": record.get("parse_mode"),
                "reply_markup": record.get("reply_markup"),
            }
        )

    def _parse_text(self, params: JSONDict) -> tuple[ParsedText, str | None]:
        parsed, parse_mode = self._parse_markup(
            params.get("text"), params.get("parse_mode"), params.get("entities")
        )
        if not parsed.text:
            raise ApiError(400, "Bad Request: message text is empty")
        if len(parsed.text) > MAX_MESSAGE_LENGTH:
            raise ApiError(400, "Bad Request: message is too long")
        return parsed, parse_mode

    def _parse_markup(
        self, raw: Any, parse_mode: Any, entities: Any
    ) -> tuple[ParsedText, str | None]:
        """A text or caption after entity parsing, outer whitespace stripped as Telegram does."""
        text = "" if raw is None else str(raw)
        if parse_mode is not None and not isinstance(parse_mode, str):
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        mode = (parse_mode or "").lower()
        if mode == "html":
            try:
                parsed = parse_html(text, strict_entities=self.strict_entities)
            except EntityParseError as error:
                raise ApiError(400, f"Bad Request: can't parse entities: {error}") from None
        elif mode in ("", "markdown", "markdownv2"):
            parsed = ParsedText(text, list(entities) if isinstance(entities, list) else [])
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        return strip_outer_whitespace(parsed), parse_mode

    def _check_flood(self, method: str, key: ChatKey, *, paid: bool = False) -> None:
        if self._flood is None:
            return
        now = time.monotonic()
        refusal = self._flood.refuse(key, now, paid=paid)
        if refusal is None:
            return
        scope, retry_after = refusal
        self._rejections.append(Rejection(now, method, key, scope, retry_after))
        raise ApiError(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    # ------------------------------------------------------------------ buttons and members

    def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._queries.get(query_id, True):
            raise ApiError(400, _QUERY_INVALID)
        self._queries[query_id] = True
        self._answers.append(
            {
                "callback_query_id": query_id,
                "text": params.get("text"),
                "show_alert": bool(params.get("show_alert", False)),
                "url": params.get("url"),
            }
        )
        return True

    def _get_chat(self, params: JSONDict) -> JSONDict:
        """A chat the bot knows (by id, or a channel's @username): its Chat dict; any other
        answers 400 "chat not found", as Telegram does for a chat the bot cannot see."""
        key = chat_key(params.get("chat_id"))
        chat = self._chats.get(key) if isinstance(key, int) else None
        if chat is None:
            raise ApiError(400, "Bad Request: chat not found")
        # ChatFullInfo's required fields, as Telegram always sends them.
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            True,
        )
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def _get_chat_member(self, params: JSONDict) -> JSONDict:
        key = chat_key(params.get("chat_id"))
        chat = self._chat(key)
        user_id = int(params.get("user_id") or 0)
        is_channel = chat["type"] == "channel"
        bot_rights = self._bot_in_channel.get(key)
        if user_id == self._bot_id:
            user = self._bot_user()
            if bot_rights is not None:
                return chat_member(user, bot_rights[0], can_post_messages=bot_rights[1])
        else:
            user = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
            if bot_rights is not None and bot_rights[0] not in ("administrator", "creator"):
                raise ApiError(400, _MEMBERS_HIDDEN)
        status = self._members.get((key, user_id), "left" if is_channel else "member")
        rights = self._post_rights.get((key, user_id), True) if is_channel else None
        return chat_member(user, status, can_post_messages=rights)


def _check_markup(params: JSONDict) -> JSONDict | None:
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in markup.get("inline_keyboard") or []:
        for button in row:
            if not str(button.get("text", "")).strip():
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup


def _apply_edit(
    record: JSONDict, *, text: str, entities: list[JSONDict] | None, markup: JSONDict | None
) -> None:
    record["text"] = text
    record["edit_date"] = int(time.time())
    if entities:
        record["entities"] = entities
    else:
        record.pop("entities", None)
    # Editing without reply_markup removes the inline keyboard, as on Telegram.
    record["reply_markup"] = markup


_METHODS: dict[str, Callable[[BotMethods, JSONDict], Any]] = {
    "getme": BotMethods._get_me,
    "deletewebhook": BotMethods._delete_webhook,
    "setmycommands": BotMethods._set_my_commands,
    "sendmessage": BotMethods._send_message,
    "sendphoto": BotMethods._send_photo,
    "editmessagetext": BotMethods._edit_message_text,
    "editmessagecaption": BotMethods._edit_message_caption,
    "editmessagereplymarkup": BotMethods._edit_message_reply_markup,
    "answercallbackquery": BotMethods._answer_callback_query,
    "getchatmember": BotMethods._get_chat_member,
    "getchat": BotMethods._get_chat,
}


def _is_paid(params: JSONDict) -> bool:
    """Whether a send asks for a paid broadcast (`allow_paid_broadcast`, in any JSON spelling)."""
    return params.get("allow_paid_broadcast") in (True, "true", "True", 1, "1")
