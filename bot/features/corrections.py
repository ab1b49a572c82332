"""Corrections after a push: /refresh ISSUE (edit every pushed message in place), /correct ISSUE TEXT (a correction
notice) and /recall ISSUE (delete the pushed messages), each confirmed by its admin; with [publish] approval a
second admin approves or rejects the confirmed correction.

Callback kind (routed, see bot/callbacks.py):
    1:x:<correction_id>:<op>   confirm (1) or cancel (0) a correction prepared by /refresh, /correct or /recall;
                               with [publish] approval, another admin's approve (2) or reject (3), the proposer's
                               withdraw (3)

Prepared and awaiting corrections live in memory (a restart forgets them; their buttons then answer "expired").
Every command and press is checked with bot.common.guards.require_admin first.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, filters

from bot.callbacks import Routed, cb_routed
from bot.common.chat import ISSUE_REF, send, user_lang
from bot.common.chat import edit_message as _edit
from bot.common.chat import say as _say
from bot.common.context import Ctx
from bot.common.feature import AdminFeature, Extension, on_button
from bot.common.outbox import TelegramCorrector
from bulletin.i18n import t
from bulletin.render import Button, Keyboard, Rendered, bold, esc, issue_label
from config import Config
from jobs.correction import (
    ApprovalRefused,
    CorrectionPlan,
    check_approver,
    plan_for,
    propose,
    record_decision,
    run_correction,
)
from jobs.desk import record_refusal
from jobs.uow import UnitOfWork
from storage.publishing_models import CorrectionAction

log = logging.getLogger(__name__)

CORRECTION_KIND = "x"
OP_CORRECTION_CANCEL, OP_CORRECTION_CONFIRM, OP_CORRECTION_APPROVE, OP_CORRECTION_REJECT = range(4)
# A prepared correction waits this long for its confirm press; a confirmed one this long for its approval.
CORRECTION_TTL = 3600.0
CORRECTION_APPROVAL_TTL = 86400.0
MAX_CORRECTION_CHARS = 1000


@dataclass
class PendingCorrection:
    """A correction prepared by /refresh, /correct or /recall, waiting for its admin's confirm press."""

    issue_id: int
    action: CorrectionAction
    text: str | None
    admin_id: int
    created: float


@dataclass
class CorrectionApproval:
    """A confirmed correction waiting for a second admin ([publish] approval); MESSAGES are the proposer's prompt
    and every request sent to the other admins, all edited when someone decides."""

    pending: PendingCorrection
    label: str
    messages: list[tuple[int, int]]
    created: float


@dataclass
class CorrectionState:
    """In-memory corrections of one bot process."""

    corrections: dict[int, PendingCorrection] = field(default_factory=dict)
    # correction token -> a confirmed correction awaiting approval (forgotten on restart)
    correction_approvals: dict[int, CorrectionApproval] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _expire(self) -> None:
        cutoff = time.monotonic() - CORRECTION_TTL
        for cid in [i for i, c in self.corrections.items() if c.created < cutoff]:
            del self.corrections[cid]
        approvals_cutoff = time.monotonic() - CORRECTION_APPROVAL_TTL
        for cid in [i for i, a in self.correction_approvals.items() if a.created < approvals_cutoff]:
            del self.correction_approvals[cid]

    def prepared(self, token: int) -> PendingCorrection | None:
        """The correction prepared under TOKEN, unless it expired or was decided."""
        self._expire()
        return self.corrections.get(token)

    def correction_approval(self, token: int) -> CorrectionApproval | None:
        """The correction awaiting approval under TOKEN, unless it expired or was decided."""
        self._expire()
        return self.correction_approvals.get(token)


class Corrections(AdminFeature[CorrectionState]):
    """What the corrections' handlers need."""


def _corrections(context: Ctx) -> Corrections:
    return context.bot_data.part(Corrections)


# ---- corrections after a push: /refresh, /correct, /recall


_ACTIONS = {
    "refresh": CorrectionAction.EDIT,
    "correct": CorrectionAction.NOTICE,
    "recall": CorrectionAction.RECALL,
}
_ACTION_KEYS = {
    CorrectionAction.EDIT: "desk_action_edit",
    CorrectionAction.NOTICE: "desk_action_notice",
    CorrectionAction.RECALL: "desk_action_recall",
}


async def correction_command(update: Update, context: Ctx) -> None:
    """/refresh ISSUE, /correct ISSUE TEXT, /recall ISSUE: prepare a correction of every chat the issue reached."""
    corr = _corrections(context)
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or not message.text:
        return
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    action = _ACTIONS.get(command)
    if action is None:
        return
    if not await corr.is_admin(update, context, f"correct_{action.value}"):
        return
    lang = user_lang(update)
    args = list(context.args or [])
    usage = {"refresh": "desk_usage_refresh", "correct": "desk_usage_correct", "recall": "desk_usage_recall"}[command]
    text: str | None = None
    if action is CorrectionAction.NOTICE:
        body = message.text.split(maxsplit=2)
        text = body[2].strip() if len(body) == 3 else ""
        if not args or not text or len(text) > MAX_CORRECTION_CHARS:
            await _say(update, context, esc(t(lang, usage)))
            return
    elif len(args) != 1:
        await _say(update, context, esc(t(lang, usage)))
        return
    ref = args[0]
    if not ISSUE_REF.fullmatch(ref):
        await _say(update, context, esc(t(lang, usage)))
        return

    found = await corr.units.run(lambda u: plan_for(u, ref))
    if found is None:
        await _say(update, context, t(lang, "unknown_issue", ref=esc(ref)))
        return
    issue_id, label, count = found.stored.id, issue_label(found.stored.issue, lang), len(found.chats)
    if count == 0:
        await _say(update, context, t(lang, "desk_not_reached", label=esc(label)))
        return
    token = next(corr.state.ids)
    corr.state.corrections[token] = PendingCorrection(issue_id, action, text, user.id, time.monotonic())
    prompt = t(lang, "desk_confirm_correction", label=esc(label), count=count, action=t(lang, _ACTION_KEYS[action]))
    if text:
        prompt += "\n\n" + esc(text)
    keyboard: Keyboard = (
        (
            Button(t(lang, "desk_btn_confirm"), cb_routed(CORRECTION_KIND, token, 1)),
            Button(t(lang, "desk_btn_cancel"), cb_routed(CORRECTION_KIND, token, 0)),
        ),
    )
    await _say(update, context, prompt, keyboard)


async def correction_button(update: Update, context: Ctx, data: object) -> None:
    """Confirm or cancel a prepared correction, or approve / reject one awaiting approval; a correction runs in the
    background and reports per chat."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or not isinstance(data, Routed) or len(data.args) != 2:
        return
    corr = _corrections(context)
    token, op = data.args
    if op in (OP_CORRECTION_APPROVE, OP_CORRECTION_REJECT):
        await _decide_correction(update, context, corr, token, op)
        return
    if not await corr.is_admin(update, context, "correct_confirm"):
        return
    lang = user_lang(update)
    pending = corr.state.prepared(token)
    if pending is None or pending.admin_id != user.id or query.message is None:
        await query.answer(t(lang, "desk_expired"), show_alert=True)
        return
    del corr.state.corrections[token]
    chat_id, message_id = query.message.chat.id, query.message.message_id
    await query.answer()
    if op != OP_CORRECTION_CONFIRM:
        await _edit(context, chat_id, message_id, Rendered(t(lang, "desk_cancelled")))
        return
    if corr.config.publish.approval:
        await _propose_correction(context, corr, token, pending, lang, (chat_id, message_id))
        return
    _start_correction(context, update, corr, pending, lang, [(chat_id, message_id)], approved_by=None)


def _start_correction(
    context: Ctx, update: Update, corr: Corrections, pending: PendingCorrection, lang: str,
    messages: list[tuple[int, int]], *, approved_by: int | None,
) -> None:
    """Run PENDING in the background; MESSAGES (prompt, approval requests) show the per-chat outcome at the end."""
    corrector = TelegramCorrector(context.bot)

    async def work() -> None:
        report = await run_correction(
            corr.factory, corrector, pending.issue_id, pending.action, actor_id=pending.admin_id, text=pending.text,
            approved_by=approved_by, ack_button=corr.ack_button,
        )
        if report is None:
            for chat_id, message_id in messages:
                await _edit(context, chat_id, message_id, Rendered(t(lang, "desk_expired")))
            return
        stored = await corr.units.run(lambda u: u.issues.get(pending.issue_id))
        label = issue_label(stored.issue, lang) if stored else f"#{pending.issue_id}"
        counts = report.counts
        text = t(
            lang, "desk_correction_done", action=t(lang, _ACTION_KEYS[pending.action]), label=esc(label),
            done=counts["done"], failed=counts["failed"], gone=counts["gone"],
        )
        if counts["replaced"]:
            text += "\n" + t(lang, "desk_correction_replaced", replaced=counts["replaced"])
        for chat_id, message_id in messages:
            await _edit(context, chat_id, message_id, Rendered(text))

    context.application.create_task(work(), update=update)


async def _propose_correction(
    context: Ctx, corr: Corrections, token: int, pending: PendingCorrection, lang: str, prompt: tuple[int, int]
) -> None:
    """[publish] approval: record the confirmed correction and ask every other admin to approve or reject it."""

    configured = tuple(corr.config.access.admins)

    def work(u: UnitOfWork) -> tuple[CorrectionPlan | None, list[int]]:
        proposed = propose(u, pending.issue_id, pending.action, by=pending.admin_id, text=pending.text)
        return proposed, u.admins.all(configured)

    found, admins = await corr.units.run(work)
    if found is None:
        await _edit(context, prompt[0], prompt[1], Rendered(t(lang, "desk_expired")))
        return
    label, count = issue_label(found.stored.issue, "zh"), len(found.chats)
    action = t(lang, _ACTION_KEYS[pending.action])
    await _edit(context, prompt[0], prompt[1], Rendered(
        t(lang, "desk_correction_submitted", label=esc(label), action=action),
        ((Button(t(lang, "desk_btn_withdraw"), cb_routed(CORRECTION_KIND, token, OP_CORRECTION_REJECT)),),),
    ))
    approval = CorrectionApproval(pending, label, [prompt], time.monotonic())
    corr.state.correction_approvals[token] = approval
    for admin in admins:
        if admin == pending.admin_id:
            continue
        # The office works in Chinese; an admin's language is unknown until they write to the bot.
        text = t("zh", "desk_correction_request", title=bold(t("zh", "desk_approval_title")), label=esc(label),
                 count=count, action=t("zh", _ACTION_KEYS[pending.action]), proposer=pending.admin_id)
        if pending.text:
            text += "\n\n" + esc(pending.text)
        keyboard: Keyboard = ((
            Button(t("zh", "desk_btn_approve"), cb_routed(CORRECTION_KIND, token, OP_CORRECTION_APPROVE)),
            Button(t("zh", "desk_btn_reject"), cb_routed(CORRECTION_KIND, token, OP_CORRECTION_REJECT)),
        ),)
        try:
            message = await send(context, admin, Rendered(text, keyboard))
        except TelegramError as exc:
            log.warning("could not send correction approval request %s to admin %s: %s", token, admin, exc)
            continue
        approval.messages.append((admin, message.message_id))


async def _decide_correction(update: Update, context: Ctx, corr: Corrections, token: int, op: int) -> None:
    """Approve or reject a correction awaiting approval (admins only, checked now); the proposer may only withdraw."""
    query = update.callback_query
    user = update.effective_user
    assert query is not None and user is not None
    if not await corr.is_admin(update, context, "correct_approve"):
        return
    lang = user_lang(update)
    approval = corr.state.correction_approval(token)
    if approval is None:
        await query.answer(t(lang, "desk_already_decided"), show_alert=True)
        return
    pending = approval.pending
    action = t(lang, _ACTION_KEYS[pending.action])
    if op == OP_CORRECTION_APPROVE:
        try:
            check_approver(pending.admin_id, user.id)
        except ApprovalRefused as exc:
            log.warning("admin %s tried to approve their own correction %s", user.id, token)
            await corr.units.run(lambda u: record_refusal(u, user.id, f"approve own correction ({pending.action.value} "
                                                               f"of issue #{pending.issue_id})"))
            await query.answer(t(lang, f"desk_{exc.code}"), show_alert=True)
            return
        del corr.state.correction_approvals[token]
        await query.answer()
        text = t(lang, "desk_correction_approved", admin=esc(user.full_name), action=action, label=esc(approval.label))
        for chat_id, message_id in approval.messages:
            await _edit(context, chat_id, message_id, Rendered(text))
        _start_correction(context, update, corr, pending, lang, approval.messages, approved_by=user.id)
        return
    del corr.state.correction_approvals[token]
    outcome = await corr.units.run(
        lambda u: record_decision(u, pending.issue_id, pending.action, by=user.id, proposer_id=pending.admin_id)
    )
    await query.answer()
    text = t(lang, f"desk_correction_{outcome}", admin=esc(user.full_name), action=action, label=esc(approval.label))
    for chat_id, message_id in approval.messages:
        await _edit(context, chat_id, message_id, Rendered(text))


# ---- wiring


def corrections_extension(config: Config, factory: sessionmaker[Session]) -> Extension:
    """ExtensionFactory (bot/app.py): /refresh, /correct, /recall and their buttons, for a push that sends the 已阅
    button (as `bulletin-bot run` does)."""
    return make_corrections_extension(ack_button=True)(config, factory)


def make_corrections_extension(*, ack_button: bool) -> Callable[[Config, sessionmaker[Session]], Extension]:
    """An ExtensionFactory for a push whose contents messages have (or lack) the 已阅 button (PushSettings)."""

    def make(config: Config, factory: sessionmaker[Session]) -> Extension:
        corrections = Corrections(config, factory, CorrectionState(), ack_button)
        private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
        return Extension(
            handlers=[
                CommandHandler(list(_ACTIONS), correction_command, filters=private),
                on_button(correction_button, CORRECTION_KIND),
            ],
            state=[corrections],
        )

    return make
