"""Every user-facing chat string, in Simplified Chinese (default) and English."""

from __future__ import annotations

ZH = "zh"
EN = "en"


def lang_of(language_code: str | None) -> str:
    """The chat language for a Telegram language_code: English for "en*", Simplified Chinese otherwise."""
    if language_code and language_code.strip().lower().startswith("en"):
        return EN
    return ZH


_STRINGS: dict[str, dict[str, str]] = {
    # --- contents and article messages
    "issue_line": {ZH: "{year}年第{number}期", EN: "{year} No. {number}"},
    "issue_line_no_year": {ZH: "第{number}期", EN: "No. {number}"},
    "issue_total": {ZH: "（总第{total}期）", EN: " (No. {total} overall)"},
    "issue_week": {ZH: "{year}年第{week}周", EN: "{year} week {week}"},
    "issue_unnumbered": {ZH: "（期号待定）", EN: "(issue not identified yet)"},
    "date": {ZH: "{y}年{m}月{d}日", EN: "{d} {month} {y}"},
    "contents_heading": {ZH: "要目", EN: "Contents"},
    "contents_empty": {ZH: "（本期没有文章）", EN: "(no articles in this issue)"},
    "contents_more": {ZH: "……（另有{count}篇）", EN: "… ({count} more)"},
    "btn_previous_issue": {ZH: "« 上一期", EN: "« Previous issue"},
    "btn_ack": {ZH: "✅ 已阅", EN: "✅ Read"},
    "btn_prev_article": {ZH: "‹ 上一篇", EN: "‹ Previous"},
    "btn_next_article": {ZH: "下一篇 ›", EN: "Next ›"},
    "btn_contents": {ZH: "目录", EN: "Contents"},
    "btn_prev_page": {ZH: "‹ 上一页", EN: "‹ Newer"},
    "btn_next_page": {ZH: "下一页 ›", EN: "Older ›"},
    "btn_prev_results": {ZH: "‹ 上一页", EN: "‹ Previous"},
    "btn_next_results": {ZH: "下一页 ›", EN: "Next ›"},
    "btn_page": {ZH: "{page}/{pages}", EN: "{page}/{pages}"},
    "btn_other_department": {ZH: "其他", EN: "Other"},
    # --- commands
    "welcome": {
        ZH: "您好，{name}！我是工作简报机器人。\n\n"
        "我可以把每期工作简报的要目推送给您，也可以随时查阅往期简报和文章。\n\n"
        "发送 /subscribe 订阅，/latest 查看最新一期，/help 查看全部命令。",
        EN: "Hello, {name}! I am the work bulletin bot.\n\n"
        "I send you the contents of every new issue of the bulletin, and let you read past issues and articles "
        "at any time.\n\nSend /subscribe to subscribe, /latest for the newest issue, /help for every command.",
    },
    "welcome_subscribed": {
        ZH: "您好，{name}！您已订阅工作简报（部门：{department}），新一期发布时我会把要目发给您。\n\n"
        "发送 /latest 查看最新一期，/settings 修改部门，/help 查看全部命令。",
        EN: "Hello, {name}! You are subscribed to the work bulletin (department: {department}); I will send you the "
        "contents of every new issue.\n\nSend /latest for the newest issue, /settings to change your department, "
        "/help for every command.",
    },
    "help": {
        ZH: "<b>命令一览</b>\n"
        "/start — 欢迎与简介\n"
        "/help — 本帮助\n"
        "/subscribe — 订阅简报推送，例如 /subscribe 或 /subscribe 办公室\n"
        "/unsubscribe — 取消订阅\n"
        "/settings — 修改所在部门\n"
        "/latest — 最新一期要目\n"
        "/issues — 往期简报列表，每页10期\n"
        "/issue — 查看某一期，例如 /issue 12、/issue 2023-1 或 /issue 2022-07-05\n"
        "/article — 查看某期的某篇文章，例如 /article 12 3\n"
        "/search — 搜索文章，例如 /search 景区 安全",
        EN: "<b>Commands</b>\n"
        "/start — welcome and introduction\n"
        "/help — this help\n"
        "/subscribe — subscribe to the bulletin, e.g. /subscribe or /subscribe Office\n"
        "/unsubscribe — stop the subscription\n"
        "/settings — change your department\n"
        "/latest — contents of the newest issue\n"
        "/issues — past issues, 10 per page\n"
        "/issue — one issue, e.g. /issue 12, /issue 2023-1 or /issue 2022-07-05\n"
        "/article — one article of an issue, e.g. /article 12 3\n"
        "/search — search the articles, e.g. /search 景区 安全",
    },
    "pointer_to_help": {
        ZH: "我只认识命令。发送 /help 查看全部命令。",
        EN: "I only understand commands. Send /help to see them all.",
    },
    "usage_issue": {
        ZH: "用法：/issue N、/issue 2023-1 或 /issue 2022-07-05（日期）",
        EN: "Usage: /issue N, /issue 2023-1 or /issue 2022-07-05 (a date)",
    },
    "issue_choose_date": {ZH: "{date}共有{count}期简报，请选择：", EN: "{count} issues are dated {date}; choose one:"},
    "usage_article": {ZH: "用法：/article N K（第N期的第K篇）", EN: "Usage: /article N K (article K of issue N)"},
    "usage_search": {ZH: "用法：/search 关键词，例如 /search 景区", EN: "Usage: /search words, e.g. /search 景区"},
    "usage_issues": {ZH: "用法：/issues 或 /issues 页码", EN: "Usage: /issues or /issues PAGE"},
    "usage_subscribe": {
        ZH: "用法：/subscribe 或 /subscribe 部门名称",
        EN: "Usage: /subscribe or /subscribe DEPARTMENT",
    },
    "no_issues": {
        ZH: "简报库里还没有任何一期。",
        EN: "There are no issues in the archive yet.",
    },
    "unknown_issue": {
        ZH: "没有找到第 {ref} 期简报。发送 /issues 查看往期列表。",
        EN: "There is no issue {ref}. Send /issues to see the list of issues.",
    },
    "unknown_article": {
        ZH: "{label}没有第 {position} 篇文章（本期共 {count} 篇）。发送 /issues 查看往期列表。",
        EN: "{label} has no article {position} (it has {count}). Send /issues to see the list of issues.",
    },
    "issues_heading": {ZH: "<b>往期简报</b>（共{total}期，第{page}/{pages}页）", EN: "<b>Issues</b> ({total} in all, "
                       "page {page}/{pages})"},
    "issues_page_out_of_range": {
        ZH: "没有第 {page} 页（共 {pages} 页）。",
        EN: "There is no page {page} (there are {pages}).",
    },
    "search_heading": {
        ZH: "<b>搜索“{query}”</b>：共{total}条结果（第{page}/{pages}页）",
        EN: "<b>Search “{query}”</b>: {total} results (page {page}/{pages})",
    },
    "search_none": {
        ZH: "没有找到包含“{query}”的文章。",
        EN: "No article contains “{query}”.",
    },
    "subscribe_choose": {
        ZH: "请选择您所在的部门：",
        EN: "Please choose your department:",
    },
    "subscribe_type_department": {
        ZH: "请直接发送您所在部门的名称。",
        EN: "Please send the name of your department as a message.",
    },
    "subscribe_type_department_group": {
        ZH: "请发送 /subscribe 部门名称，例如 /subscribe 办公室。",
        EN: "Please send /subscribe DEPARTMENT, e.g. /subscribe Office.",
    },
    "department_invalid": {
        ZH: "部门名称须为1至{max}个字符，请重新发送。",
        EN: "A department name must be 1 to {max} characters; please send it again.",
    },
    "subscribed": {
        ZH: "订阅成功（部门：{department}）。新一期简报发布时，我会把要目发给您。发送 /unsubscribe 可取消订阅。",
        EN: "Subscribed (department: {department}). I will send you the contents of every new issue. "
        "Send /unsubscribe to stop.",
    },
    "unsubscribed": {
        ZH: "已取消订阅。发送 /subscribe 可随时重新订阅。",
        EN: "You are unsubscribed. Send /subscribe to subscribe again at any time.",
    },
    "not_subscribed": {
        ZH: "您目前没有订阅。发送 /subscribe 订阅。",
        EN: "You are not subscribed. Send /subscribe to subscribe.",
    },
    "settings_current": {
        ZH: "当前部门：{department}。请选择新的部门：",
        EN: "Your department: {department}. Choose a new one:",
    },
    "department_changed": {
        ZH: "部门已改为：{department}。",
        EN: "Your department is now: {department}.",
    },
    "button_expired": {
        ZH: "这个按钮已失效，请重新发送命令。",
        EN: "This button has expired; please send the command again.",
    },
    "error": {
        ZH: "抱歉，处理您的请求时出了点问题，请稍后再试。",
        EN: "Sorry, something went wrong while handling your request. Please try again later.",
    },
    # --- receipts (RECEIPTS helper: 已阅 presses, reminders, /stats, /export, /coverage)
    "receipts_ack_recorded": {ZH: "已确认阅读，谢谢！", EN: "Thank you, marked as read."},
    "receipts_ack_already": {ZH: "您已确认阅读过本期。", EN: "You have already marked this issue as read."},
    "receipts_reminder": {
        ZH: "提醒：{masthead}{label}已发送给您，尚未确认阅读。阅读后请点击“✅ 已阅”。",
        EN: "Reminder: {masthead} {label} was sent to you and is not marked as read yet. "
        "Please press “✅ Read” once you have read it.",
    },
    "receipts_usage_stats": {
        ZH: "用法：/stats（最近几期）或 /stats 期号，例如 /stats 12 或 /stats 2023-1",
        EN: "Usage: /stats (recent issues) or /stats ISSUE, e.g. /stats 12 or /stats 2023-1",
    },
    "receipts_usage_export": {
        ZH: "用法：/export 期号，例如 /export 12 或 /export 2023-1",
        EN: "Usage: /export ISSUE, e.g. /export 12 or /export 2023-1",
    },
    "receipts_not_pushed": {
        ZH: "{label}还没有推送过，没有回执记录。",
        EN: "{label} has not been pushed yet; there are no receipts.",
    },
    "receipts_no_pushes": {ZH: "还没有推送过任何一期。", EN: "No issue has been pushed yet."},
    "receipts_stats_heading": {ZH: "<b>回执统计：{label}</b>", EN: "<b>Receipts: {label}</b>"},
    "receipts_stats_line": {
        ZH: "{department}：送达 {delivered}，已阅 {acknowledged}，打开文章 {opened}，未送达 {not_reached}",
        EN: "{department}: delivered {delivered}, read {acknowledged}, articles opened {opened}, "
        "not reached {not_reached}",
    },
    "receipts_stats_pending": {ZH: "，发送中 {pending}", EN: ", still sending {pending}"},
    "receipts_stats_total": {ZH: "<b>合计</b>", EN: "<b>Total</b>"},
    "receipts_no_department": {ZH: "（未填部门）", EN: "(no department)"},
    "receipts_recent_heading": {ZH: "<b>最近{count}期已阅情况</b>", EN: "<b>Read receipts, last {count} issues</b>"},
    "receipts_recent_line": {
        ZH: "{label}：送达 {delivered}，已阅 {acknowledged}（{rate}%）",
        EN: "{label}: delivered {delivered}, read {acknowledged} ({rate}%)",
    },
    "receipts_recent_hint": {
        ZH: "发送 /stats 期号 查看分部门明细，/export 期号 导出台账。",
        EN: "Send /stats ISSUE for the departments, /export ISSUE for the ledger.",
    },
    "receipts_chart_title": {ZH: "各部门已阅率（最近各期）", EN: "Read rate by department (recent issues)"},
    "receipts_chart_ylabel": {ZH: "已阅率（%）", EN: "Read (%)"},
    "receipts_chart_caption": {
        ZH: "最近{count}期各部门已阅率（已阅会话占送达会话的百分比）",
        EN: "Read rate by department, last {count} issues (share of delivered chats that pressed Read)",
    },
    "receipts_chart_legend": {ZH: "图中编号：{pairs}", EN: "Labels on the chart: {pairs}"},
    "receipts_export_caption": {
        ZH: "{label}推送台账（共 {count} 个会话）",
        EN: "Delivery ledger of {label} ({count} chats)",
    },
    "receipts_coverage_none_configured": {
        ZH: "尚未配置部门列表（[access] departments）。",
        EN: "No departments are configured ([access] departments).",
    },
    "receipts_coverage_all": {
        ZH: "全部 {count} 个部门都已有订阅者。",
        EN: "All {count} departments have at least one subscriber.",
    },
    "receipts_coverage_missing": {
        ZH: "<b>以下 {missing} 个部门还没有订阅者</b>（共 {count} 个部门）：",
        EN: "<b>{missing} of {count} departments have no subscriber</b>:",
    },
    "receipts_coverage_covered": {ZH: "已覆盖：{lines}", EN: "Covered: {lines}"},
    "receipts_coverage_count": {ZH: "{department}（{count}）", EN: "{department} ({count})"},
    "receipts_export_private_only": {
        ZH: "台账含有订阅者信息，请在与我的私聊中发送 /export。",
        EN: "The ledger names subscribers; please send /export in a private chat with me.",
    },
    # --- command menu (setMyCommands descriptions)
    "cmd_start": {ZH: "欢迎与简介", EN: "Welcome and introduction"},
    "cmd_help": {ZH: "全部命令及示例", EN: "Every command with an example"},
    "cmd_subscribe": {ZH: "订阅简报推送", EN: "Subscribe to the bulletin"},
    "cmd_unsubscribe": {ZH: "取消订阅", EN: "Stop the subscription"},
    "cmd_settings": {ZH: "修改所在部门", EN: "Change your department"},
    "cmd_latest": {ZH: "最新一期要目", EN: "Contents of the newest issue"},
    "cmd_issues": {ZH: "往期简报列表", EN: "Past issues"},
    "cmd_issue": {ZH: "查看某一期，如 /issue 12", EN: "One issue, e.g. /issue 12"},
    "cmd_article": {ZH: "查看文章，如 /article 12 3", EN: "One article, e.g. /article 12 3"},
    "cmd_search": {ZH: "搜索文章，如 /search 景区", EN: "Search articles, e.g. /search 景区"},
    # --- access (ACCESS helper: admins, access modes, invites, requests, audit, rate limit)
    "access_admin_only": {
        ZH: "抱歉，此功能仅限管理员使用。",
        EN: "Sorry, only admins can do that.",
    },
    "access_invite_required": {
        ZH: "抱歉，本简报需凭邀请链接订阅。请向办公室索取邀请链接。",
        EN: "Sorry, subscribing needs an invite link. Please ask the office for one.",
    },
    "access_invite_unknown": {
        ZH: "抱歉，这个邀请链接无效。请向办公室索取新的邀请链接。",
        EN: "Sorry, this invite link is not valid. Please ask the office for a new one.",
    },
    "access_invite_expired": {
        ZH: "抱歉，这个邀请链接已过期。请向办公室索取新的邀请链接。",
        EN: "Sorry, this invite link has expired. Please ask the office for a new one.",
    },
    "access_invite_used_up": {
        ZH: "抱歉，这个邀请链接已被使用。请向办公室索取新的邀请链接。",
        EN: "Sorry, this invite link has already been used. Please ask the office for a new one.",
    },
    "access_invite_revoked": {
        ZH: "抱歉，这个邀请链接已被撤销。请向办公室索取新的邀请链接。",
        EN: "Sorry, this invite link was withdrawn. Please ask the office for a new one.",
    },
    "access_invite_ok": {
        ZH: "邀请有效。请选择您所在的部门完成订阅：",
        EN: "Your invite is valid. Choose your department to subscribe:",
    },
    "access_invite_already_subscribed": {
        ZH: "您已订阅本简报，无需再使用邀请链接。发送 /settings 可修改部门。",
        EN: "You are already subscribed; no invite needed. Send /settings to change your department.",
    },
    "access_request_sent": {
        ZH: "您的订阅申请（部门：{department}）已提交，管理员审核后会通知您结果。",
        EN: "Your request to subscribe (department: {department}) was sent. You will be told once an admin decides.",
    },
    "access_request_pending": {
        ZH: "您的订阅申请正在审核中（部门已更新为：{department}），请耐心等待。",
        EN: "Your request is still waiting for an admin (department now: {department}). Please wait.",
    },
    "access_request_admin": {
        ZH: "订阅申请\n申请人：{name}\n会话：<code>{chat_id}</code>（{chat_type}）\n部门：{department}",
        EN: "Subscription request\nFrom: {name}\nChat: <code>{chat_id}</code> ({chat_type})\nDepartment: {department}",
    },
    "access_btn_approve": {ZH: "✅ 批准", EN: "✅ Approve"},
    "access_btn_deny": {ZH: "❌ 拒绝", EN: "❌ Deny"},
    "access_request_approved_by": {ZH: "✅ 已批准（{admin}）", EN: "✅ Approved by {admin}"},
    "access_request_denied_by": {ZH: "❌ 已拒绝（{admin}）", EN: "❌ Denied by {admin}"},
    "access_request_already_approved": {
        ZH: "该申请已被批准，无需再处理。",
        EN: "This request was already approved.",
    },
    "access_request_already_denied": {
        ZH: "该申请已被拒绝，无需再处理。",
        EN: "This request was already denied.",
    },
    "access_you_approved": {
        ZH: "您的订阅申请已获批准（部门：{department}）。新一期简报发布后会推送给您。",
        EN: "Your request was approved (department: {department}). New issues will be sent to you.",
    },
    "access_you_denied": {
        ZH: "抱歉，您的订阅申请未获批准。如有疑问，请联系办公室。",
        EN: "Sorry, your request to subscribe was not approved. Please contact the office if in doubt.",
    },
    "access_usage_invite": {
        ZH: "用法：/invite [次数|多次] [有效期]，例如 /invite（单次，默认有效期）、/invite 10 48h、/invite 多次 7d",
        EN: "Usage: /invite [uses|multi] [valid for], e.g. /invite (single use), /invite 10 48h, /invite multi 7d",
    },
    "access_invite_uses": {ZH: "可使用 {uses} 次", EN: "{uses} use(s)"},
    "access_invite_unlimited": {ZH: "有效期内不限次数", EN: "unlimited uses until it expires"},
    "access_invite_created": {
        ZH: "邀请链接已生成（{uses}，有效期至 {expires}）：\n{link}",
        EN: "Invite link created ({uses}, valid until {expires}):\n{link}",
    },
    "access_invite_mode_note": {
        ZH: "提示：当前订阅方式为 {mode}，邀请链接可直接订阅，无需审核。",
        EN: "Note: the access mode is {mode}; an invite link subscribes directly, without approval.",
    },
    "access_subscribers_heading": {ZH: "当前订阅：{count} 个会话", EN: "Active subscriptions: {count} chats"},
    "access_subscribers_more": {
        ZH: "……另有 {count} 个（完整名单请用 bulletin-bot subscribers --csv 导出）",
        EN: "… {count} more (export them all with bulletin-bot subscribers --csv)",
    },
    "access_pending_count": {
        ZH: "待审核申请：{count} 个（发送 /requests 处理）",
        EN: "Requests waiting: {count} (send /requests to decide them)",
    },
    "access_subscribers_hint": {
        ZH: "移除订阅：/remove 会话编号",
        EN: "Remove a subscription: /remove CHAT_ID",
    },
    "access_usage_remove": {
        ZH: "用法：/remove 会话编号（见 /subscribers），例如 /remove 123456789",
        EN: "Usage: /remove CHAT_ID (see /subscribers), e.g. /remove 123456789",
    },
    "access_remove_unknown": {
        ZH: "会话 {chat_id} 没有有效的订阅。",
        EN: "Chat {chat_id} has no active subscription.",
    },
    "access_removed": {
        ZH: "已移除 {name}（{chat_id}）的订阅。",
        EN: "Removed the subscription of {name} ({chat_id}).",
    },
    "access_you_were_removed": {
        ZH: "您的简报订阅已被管理员取消。如有疑问，请联系办公室。",
        EN: "An admin ended your subscription to the bulletin. Please contact the office if in doubt.",
    },
    "access_usage_audit": {
        ZH: "用法：/audit [条数]，条数为 1 到 {max}，例如 /audit 10",
        EN: "Usage: /audit [count], count from 1 to {max}, e.g. /audit 10",
    },
    "access_audit_empty": {ZH: "操作日志为空。", EN: "The audit log is empty."},
    "access_audit_heading": {
        ZH: "最近 {count} 条操作记录（时间 操作人 操作 对象 说明）：",
        EN: "The newest {count} audit entries (time, actor, action, target, detail):",
    },
    "access_admin_help": {
        ZH: "管理员命令：\n/invite [次数|多次] [有效期] — 生成邀请链接\n/subscribers — 查看订阅名单\n"
        "/remove 会话编号 — 移除订阅\n/requests — 待审核的订阅申请\n/audit [条数] — 查看操作日志",
        EN: "Admin commands:\n/invite [uses|multi] [valid for] — create an invite link\n"
        "/subscribers — list subscribers\n/remove CHAT_ID — remove a subscription\n"
        "/requests — subscription requests waiting\n/audit [count] — show the audit log",
    },
    "access_no_requests": {ZH: "没有待审核的订阅申请。", EN: "No subscription requests are waiting."},
    "access_requests_more": {
        ZH: "……另有 {count} 个申请，处理完上面的申请后请再发送 /requests。",
        EN: "… {count} more; send /requests again once these are decided.",
    },
    "group_admins_only": {
        ZH: "抱歉，只有本群的管理员可以退订本群或更改本群的部门。",
        EN: "Sorry, only this group's admins can unsubscribe it or change its department.",
    },
    "access_rate_limited": {
        ZH: "您的操作过于频繁，请 {seconds} 秒后再试。",
        EN: "You are doing that too often. Please try again in {seconds} seconds.",
    },
    "push_resend_scheduled": {
        ZH: "已安排重发给 {count} 个会话，稍后开始。", EN: "Resend to {count} chats scheduled; it starts shortly."
    },
    "push_resend_busy": {
        ZH: "该期正在推送或已排期，请在结束后再重发。",
        EN: "This issue is being pushed or scheduled; resend when it has finished.",
    },
    "push_resend_nothing": {
        ZH: "没有发送失败的会话，无需重发。", EN: "No chat failed to receive this issue; nothing to resend."
    },
    "receipts_admin_help": {
        ZH: "/stats [期号] — 各部门送达、已阅、打开文章、未送达；不带期号时附近几期的已阅图表\n"
        "/export 期号 — 该期送达记录（CSV）\n/coverage — 尚无订阅者的部门",
        EN: "/stats [ISSUE] — delivered, acknowledged, articles opened, not reached per department; "
        "without ISSUE a chart of recent issues\n/export ISSUE — the issue's delivery ledger (CSV)\n"
        "/coverage — departments without an active subscriber",
    },
    # --- desk (DESK helper: publishing in chat, approval, handling marks, corrections)
    "desk_admin_help": {
        ZH: "发布简报：直接把 .txt、.docx 或 .pdf 文件（或简报网页、文档的网址）发给我，核对预览后点按钮发布或定时。\n"
        "/refresh 期号 — 按库中内容更新已推送的要目消息\n/correct 期号 更正内容 — 向收到该期的会话发送更正通知\n"
        "/recall 期号 — 撤回已推送的要目消息\n/internal 期号 on|off — 标为内部资料或取消标记",
        EN: "Publishing: send me the bulletin as a .txt, .docx or .pdf file (or the URL of its page or document), "
        "check the preview, then publish or schedule it with the buttons.\n"
        "/refresh ISSUE — update the sent contents messages to the stored issue\n"
        "/correct ISSUE TEXT — send a correction notice to every chat the issue reached\n"
        "/recall ISSUE — delete the sent contents messages\n/internal ISSUE on|off — mark internal or remove the mark",
    },
    "desk_usage_internal": {
        ZH: "用法：/internal 期号 on|off，例如 /internal 12 on（标为内部资料）或 /internal 12 off（取消标记）",
        EN: "Usage: /internal ISSUE on|off, e.g. /internal 12 on (mark internal) or /internal 12 off (remove the mark)",
    },
    "desk_internal_on": {
        ZH: "🔒 {label}已标为内部资料：此后发出的消息带有标记，且不能转发或保存。"
        "已发出的消息不受影响，可用 /refresh 加上标记。",
        EN: "🔒 {label} is marked internal: messages sent from now on carry the mark and cannot be forwarded or saved. "
        "Messages already sent keep their state; /refresh adds the mark to them.",
    },
    "desk_internal_off": {
        ZH: "🔓 {label}已取消内部资料标记。",
        EN: "🔓 {label} is no longer marked internal.",
    },
    "desk_internal_mark": {ZH: "🔒 内部资料 注意保密 请勿转发", EN: "🔒 Internal — do not forward"},
    "desk_too_big": {
        ZH: "文件过大（{size} MB），不能超过 {max} MB。请压缩图片或拆分后再发送。",
        EN: "The file is too large ({size} MB); the limit is {max} MB. Please shrink it and send it again.",
    },
    "desk_wrong_type": {
        ZH: "不支持的文件类型（{ext}）。请发送 .txt、.docx 或 .pdf 格式的简报。",
        EN: "Unsupported file type ({ext}). Please send the bulletin as .txt, .docx or .pdf.",
    },
    "desk_download_failed": {
        ZH: "无法下载这个文件，请稍后再试。",
        EN: "The file could not be downloaded; please try again later.",
    },
    "desk_parse_failed": {ZH: "无法识别这份简报：{reason}", EN: "This is not a readable bulletin: {reason}"},
    "desk_parse_empty": {ZH: "文件是空的。", EN: "the file is empty."},
    "desk_parse_encoding": {ZH: "无法识别文本编码。", EN: "the text encoding is not recognised."},
    "desk_parse_encrypted": {ZH: "文档已加密，请去掉密码后再发送。", EN: "the document is encrypted."},
    "desk_parse_damaged": {ZH: "文件已损坏。", EN: "the file is damaged."},
    "desk_parse_unreadable": {
        ZH: "读不出文字内容（可能是扫描件）。",
        EN: "no text could be read (is it a scan?).",
    },
    "desk_parse_no_articles": {ZH: "没有找到任何文章。", EN: "no articles were found."},
    "desk_parse_not_bulletin": {
        ZH: "内容不像是一期工作简报（没有找到刊头和期号）。",
        EN: "it does not look like a bulletin issue (no masthead and issue number found).",
    },
    "desk_parse_unsupported": {ZH: "不支持的文件类型。", EN: "the file type is not supported."},
    "desk_parse_other": {ZH: "格式无法识别。", EN: "the format was not recognised."},
    # --- the desk's 修改 (edit) flow: the admin corrects fields before anything is stored
    "desk_btn_edit": {ZH: "修改", EN: "Edit"},
    "desk_btn_back": {ZH: "« 返回", EN: "« Back"},
    "desk_btn_field": {ZH: "{field}：{value}", EN: "{field}: {value}"},
    "desk_field_masthead": {ZH: "报头", EN: "Masthead"},
    "desk_field_year": {ZH: "年份", EN: "Year"},
    "desk_field_number": {ZH: "期号", EN: "Number"},
    "desk_field_total_number": {ZH: "总期号", EN: "Cumulative number"},
    "desk_field_date": {ZH: "日期", EN: "Date"},
    "desk_field_publisher": {ZH: "编发单位", EN: "Publisher"},
    "desk_field_toc": {ZH: "要目", EN: "Contents"},
    "desk_field_articles": {ZH: "文章", EN: "Articles"},
    "desk_field_footer": {ZH: "版记", EN: "Footer"},
    "desk_field_empty": {ZH: "（空）", EN: "(empty)"},
    "desk_edit_choose": {
        ZH: "要修改哪一项？点选后输入新值。确认发布前不会入库。",
        EN: "Which field? Press it, then type the new value. Nothing is stored until you confirm.",
    },
    "desk_edit_ask": {
        ZH: "请输入新的{field}（当前：{value}）。输入“取消”放弃修改。",
        EN: "Type the new {field} (now: {value}). Send “cancel” to leave it.",
    },
    "desk_edit_ask_optional": {
        ZH: "请输入新的{field}（当前：{value}）。输入 - 清空，输入“取消”放弃修改。",
        EN: "Type the new {field} (now: {value}). Send - to clear it, “cancel” to leave it.",
    },
    "desk_edit_done": {
        ZH: "已将{field}改为：{value}。预览已更新，确认发布后才会入库。",
        EN: "{field} is now {value}. The preview is updated; nothing is stored until you confirm.",
    },
    "desk_edit_cancelled": {ZH: "已放弃修改。", EN: "Edit abandoned."},
    "desk_edit_bad_not_integer": {
        ZH: "未修改：{field}必须是整数，“{text}”不是。请重新输入，或输入“取消”。",
        EN: "Not changed: {field} must be a whole number, “{text}” is not. Type it again, or “cancel”.",
    },
    "desk_edit_bad_out_of_range": {
        ZH: "未修改：{field}“{text}”超出合理范围。请重新输入，或输入“取消”。",
        EN: "Not changed: {field} “{text}” is out of range. Type it again, or “cancel”.",
    },
    "desk_edit_bad_not_date": {
        ZH: "未修改：{field}“{text}”不是日期，请按 2023-06-01 或 2023年6月1日 输入，或输入“取消”。",
        EN: "Not changed: {field} “{text}” is not a date; type it like 2023-06-01, or “cancel”.",
    },
    "desk_edit_bad_empty": {
        ZH: "未修改：{field}不能为空。请重新输入，或输入“取消”。",
        EN: "Not changed: {field} cannot be empty. Type it again, or “cancel”.",
    },
    "desk_edit_bad_too_long": {
        ZH: "未修改：{field}须为一行且不太长（“{text}”）。请重新输入，或输入“取消”。",
        EN: "Not changed: {field} must be one short line (“{text}”). Type it again, or “cancel”.",
    },
    "desk_uncertain": {
        ZH: "以下内容是推断的，不是从文件中读出的，请核对：{fields}",
        EN: "Inferred rather than read, please check: {fields}",
    },
    "desk_remembered": {
        ZH: "已沿用此前对该简报的更正：{field} → {value}",
        EN: "Corrected as before for this bulletin: {field} → {value}",
    },
    "desk_needs_id": {
        ZH: "⚠️ 没有找到期号：请点“修改”填写期号；按日期编发的动态、周报请填写日期。填好前不能发布。",
        EN: "⚠️ No issue number was found: press Edit and give the number, or the date of a dated report. "
        "It cannot be published until then.",
    },
    "desk_parse_too_slow": {
        ZH: "文档太复杂，{seconds} 秒内没能读完（可能已损坏或被人为构造），请另存为普通文档后再发送。",
        EN: "reading it took longer than the {seconds} s limit (it may be damaged or crafted); "
        "please save it again as an ordinary document.",
    },
    "desk_parse_too_large": {
        ZH: "读取这份文档需要的内存超过 {memory} MB 的上限，请精简或拆分后再发送。",
        EN: "reading it needs more than the {memory} MB memory limit; please shorten or split it.",
    },
    "desk_parse_too_many_pages": {
        ZH: "PDF 超过 {pages} 页的上限，请只发送这一期简报。",
        EN: "the PDF has more than the {pages}-page limit; please send just this issue.",
    },
    "desk_parse_too_many_objects": {
        ZH: "文档包含的段落或绘制对象超过上限（段落 {paragraphs} 个、PDF 对象 {objects} 个），请精简后再发送。",
        EN: "it has more paragraphs or drawn objects than the limit ({paragraphs} paragraphs, "
        "{objects} PDF objects); please simplify it.",
    },
    "desk_parse_too_unpacked": {
        ZH: "文档解压后超过 {unpacked} MB 或压缩比异常（疑似压缩炸弹），已拒绝。",
        EN: "it unpacks to more than {unpacked} MB or at an abnormal ratio (a decompression bomb); refused.",
    },
    "desk_summary": {
        ZH: "📄 <b>待发布</b>：{masthead} {label}\n来源：{source}\n"
        "共 {articles} 篇文章；当前有效订阅 {subscribers} 个。\n上方是订阅者将收到的要目消息。",
        EN: "📄 <b>Ready to publish</b>: {masthead} {label}\nSource: {source}\n{articles} articles; "
        "{subscribers} active subscriptions.\nThe message above is exactly what subscribers will get.",
    },
    "desk_warnings": {ZH: "⚠️ <b>解析提示</b>：", EN: "⚠️ <b>Parse warnings</b>:"},
    "desk_no_warnings": {ZH: "✅ 解析无警告。", EN: "✅ No parse warnings."},
    "desk_exists_same": {
        ZH: "ℹ️ 简报库中已有该期，内容相同；发布时使用库中的版本。",
        EN: "ℹ️ This issue is already in the archive with the same content; publishing uses it.",
    },
    "desk_exists_different": {
        ZH: "⚠️ 简报库中已有该期（编号 #{issue_id}），内容不同。如需用本文件替换，请点“替换库中该期”。",
        EN: "⚠️ The archive already has this issue (#{issue_id}) with different content. Press “Replace” to "
        "replace it with this file.",
    },
    "desk_replacing": {
        ZH: "🔁 将用本文件替换库中的该期。",
        EN: "🔁 This file will replace the stored issue.",
    },
    "desk_marked_internal": {
        ZH: "🔒 已标为内部资料：消息带有标记，且不能转发或保存。",
        EN: "🔒 Marked internal: messages carry the mark and cannot be forwarded or saved.",
    },
    "desk_choose_when": {ZH: "请选择发布时间：", EN: "Choose when to publish:"},
    "desk_calendar_unknown": {
        ZH: "⚠️ 节假日数据未包含 {year} 年，定时按周一至周五推算。请核对日期，或在配置 [push] holidays / workdays 中"
        "录入该年的放假与调休安排。",
        EN: "⚠️ The holiday calendar does not cover {year}: the scheduled time assumes Monday–Friday working days. "
        "Check the date, or enter that year's days off and make-up working days as [push] holidays / workdays.",
    },
    "desk_approval_note": {
        ZH: "本机器人要求审核：确认后需由另一位管理员批准，才会保存和推送。",
        EN: "Approval is required: after you confirm, another admin must approve before anything is stored or sent.",
    },
    "desk_btn_now": {ZH: "立即发布", EN: "Publish now"},
    "desk_btn_default": {ZH: "定时：{when}", EN: "At {when}"},
    "desk_btn_tomorrow": {ZH: "明天 09:00", EN: "Tomorrow 09:00"},
    "desk_btn_typed": {ZH: "输入时间…", EN: "Type a time…"},
    "desk_btn_replace": {ZH: "替换库中该期", EN: "Replace"},
    "desk_btn_cancel": {ZH: "取消", EN: "Cancel"},
    "desk_btn_internal_on": {ZH: "🔒 标为内部资料", EN: "🔒 Mark internal"},
    "desk_btn_internal_off": {ZH: "🔓 取消内部资料标记", EN: "🔓 Remove internal mark"},
    "desk_btn_approve": {ZH: "✅ 批准", EN: "✅ Approve"},
    "desk_btn_reject": {ZH: "❌ 驳回", EN: "❌ Reject"},
    "desk_btn_confirm": {ZH: "确认", EN: "Confirm"},
    "desk_ask_time": {
        ZH: "请发送发布时间，例如 2024-05-08 09:00，或只发 09:00 表示今天或明天的这个时间（{tz}）。发送“取消”放弃。",
        EN: "Send the time to publish, e.g. 2024-05-08 09:00, or just 09:00 for the next such time ({tz}). "
        "Send “cancel” to give up.",
    },
    "desk_bad_time": {
        ZH: "无法识别时间“{text}”，请按 2024-05-08 09:00 或 09:00 的格式发送。",
        EN: "“{text}” is not a time; send it as 2024-05-08 09:00 or 09:00.",
    },
    "desk_past_time": {ZH: "{when} 已经过去，请发送一个将来的时间。", EN: "{when} has passed; send a future time."},
    "desk_when_now": {ZH: "立即", EN: "now"},
    "desk_published_now": {
        ZH: "✅ 已发布 {label}，正在推送给订阅者。",
        EN: "✅ {label} is published and being sent to subscribers.",
    },
    "desk_scheduled": {ZH: "✅ 已安排 {label} 于 {when} 推送。", EN: "✅ {label} will be sent at {when}."},
    "desk_cancelled": {ZH: "已取消，没有保存任何内容。", EN: "Cancelled; nothing was stored."},
    "desk_expired": {
        ZH: "这份预览已失效，请重新发送文件。",
        EN: "This preview has expired; please send the file again.",
    },
    "desk_already_pushed": {
        ZH: "无法发布：{label}已经推送过。如需更正，请用 /correct、/refresh 或 /recall。",
        EN: "Cannot publish: {label} was already sent. Use /correct, /refresh or /recall to correct it.",
    },
    "desk_replaced_pushed": {
        ZH: "✅ 已用本文件替换库中的{label}。该期已推送过，不会重新推送；可用 /refresh 更新已发出的要目消息。",
        EN: "✅ {label} in the archive was replaced. It was already sent and is not sent again; use /refresh to "
        "update the messages already sent.",
    },
    "desk_push_running": {
        ZH: "无法发布：{label}正在推送中。",
        EN: "Cannot publish: {label} is being sent right now.",
    },
    "desk_submitted": {
        ZH: "📨 已提交审核：{label}（{when}）。需由另一位管理员批准后才会保存和推送。",
        EN: "📨 Submitted for approval: {label} ({when}). Another admin must approve it before it is stored and sent.",
    },
    "desk_approval_request": {
        ZH: "📝 <b>待审核</b>：{masthead} {label}\n提交人：{uploader}\n推送时间：{when}\n来源：{source}",
        EN: "📝 <b>Awaiting approval</b>: {masthead} {label}\nUploaded by: {uploader}\nSend: {when}\nSource: {source}",
    },
    "desk_self_approve": {
        ZH: "不能审核自己上传的简报，需由另一位管理员批准。",
        EN: "You cannot approve your own upload; another admin must approve it.",
    },
    "desk_approved": {ZH: "✅ 已由 {admin} 批准。{outcome}", EN: "✅ Approved by {admin}. {outcome}"},
    "desk_rejected": {ZH: "❌ 已被 {admin} 驳回，没有保存。", EN: "❌ Rejected by {admin}; nothing was stored."},
    "desk_withdrawn": {ZH: "已撤回发布申请，没有保存。", EN: "Withdrawn; nothing was stored."},
    "desk_already_decided": {ZH: "该申请已经处理过了。", EN: "This request has already been decided."},
    "desk_url_timeout": {
        ZH: "获取网址超时（{seconds} 秒）。请稍后再试，或直接发送文件。",
        EN: "Fetching the URL timed out ({seconds} s). Try again later, or send the file itself.",
    },
    "desk_url_failed": {ZH: "无法获取该网址：{reason}", EN: "The URL could not be fetched: {reason}"},
    "desk_url_unreachable": {
        ZH: "无法获取该网址：地址不允许访问或无法连接。请检查网址，或直接发送文件。",
        EN: "The URL could not be fetched: the address is not allowed or did not answer. Check it, or send the file.",
    },
    "desk_url_redirects": {
        ZH: "无法获取该网址：重定向次数过多。",
        EN: "The URL could not be fetched: too many redirects.",
    },
    "desk_url_type": {
        ZH: "该网址返回的内容（{ctype}）不是网页或简报文档（支持网页、.txt、.docx、.pdf）。",
        EN: "The URL returned {ctype}, which is not a web page or bulletin document (.txt, .docx, .pdf).",
    },
    "desk_url_too_big": {
        ZH: "该网址的内容超过 {max} MB，已停止下载。",
        EN: "The URL's content is larger than {max} MB; the download was stopped.",
    },
    "desk_usage_correct": {
        ZH: "用法：/correct 期号 更正内容，例如 /correct 12 第3篇标题应为……（向收到该期的所有会话发送更正通知）",
        EN: "Usage: /correct ISSUE TEXT, e.g. /correct 12 The title of article 3 should read … "
        "(sends a correction notice to every chat the issue reached)",
    },
    "desk_usage_recall": {
        ZH: "用法：/recall 期号（从所有会话撤回该期的要目消息）",
        EN: "Usage: /recall ISSUE (deletes the issue's contents message in every chat)",
    },
    "desk_usage_refresh": {
        ZH: "用法：/refresh 期号（按库中当前内容更新已推送的要目消息）",
        EN: "Usage: /refresh ISSUE (edits the sent contents message to the stored issue as it is now)",
    },
    "desk_not_reached": {ZH: "{label}还没有送达任何会话。", EN: "{label} has not reached any chat."},
    "desk_correction_submitted": {
        ZH: "📨 已提交审核：对 {label} 的“{action}”。需由另一位管理员批准后才会执行。",
        EN: "📨 Submitted for approval: {action} for {label}. Another admin must approve it before it runs.",
    },
    "desk_correction_request": {
        ZH: "📝 <b>待审核</b>：对收到 {label} 的 {count} 个会话执行“{action}”\n提交人：{proposer}",
        EN: "📝 <b>Awaiting approval</b>: {action} for the {count} chats that received {label}\n"
        "Proposed by: {proposer}",
    },
    "desk_self_approve_correction": {
        ZH: "不能批准自己提出的更正，需由另一位管理员批准。",
        EN: "You cannot approve your own correction; another admin must approve it.",
    },
    "desk_correction_approved": {
        ZH: "✅ 已由 {admin} 批准，正在对 {label} 执行“{action}”。",
        EN: "✅ Approved by {admin}; running {action} for {label}.",
    },
    "desk_correction_rejected": {
        ZH: "❌ 已被 {admin} 驳回，没有对 {label} 执行“{action}”。",
        EN: "❌ Rejected by {admin}; {action} for {label} did not run.",
    },
    "desk_correction_withdrawn": {
        ZH: "已由 {admin} 撤回对 {label} 的“{action}”申请，没有执行。",
        EN: "Withdrawn by {admin}; {action} for {label} did not run.",
    },
    "desk_btn_withdraw": {ZH: "撤回申请", EN: "Withdraw"},
    "desk_confirm_correction": {
        ZH: "确认对收到 {label} 的 {count} 个会话执行“{action}”？",
        EN: "{action} for the {count} chats that received {label}?",
    },
    "desk_correction_notice": {ZH: "📢 <b>更正</b>（{label}）\n{text}", EN: "📢 <b>Correction</b> ({label})\n{text}"},
    "desk_correction_done": {
        ZH: "“{action}”完成：{label}\n成功 {done} · 失败 {failed} · 不可达 {gone}",
        EN: "{action} finished: {label}\ndone {done} · failed {failed} · unreachable {gone}",
    },
    "desk_action_edit": {ZH: "更新要目消息", EN: "Update the contents message"},
    "desk_action_recall": {ZH: "撤回要目消息", EN: "Recall the contents message"},
    "desk_action_notice": {ZH: "发送更正通知", EN: "Send a correction notice"},
}

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def t(lang: str, key: str, **kw: object) -> str:
    """The string KEY in LANG (falling back to Chinese), with KW substituted."""
    entry = _STRINGS[key]
    template = entry.get(lang, entry[ZH])
    return template.format(**kw) if kw else template


def month_name(month: int) -> str:
    """The English month name for 1..12."""
    return _MONTHS[month - 1]


def keys() -> frozenset[str]:
    """Every string key (for tests that check both languages are complete)."""
    return frozenset(_STRINGS)


def has_all_languages() -> bool:
    """True when every key has both a Chinese and an English text."""
    return all(ZH in v and EN in v for v in _STRINGS.values())
