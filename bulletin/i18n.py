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
    "help": {
        ZH: "<b>命令一览</b>\n"
        "/start — 欢迎与简介\n"
        "/help — 本帮助\n"
        "/subscribe — 订阅简报推送，例如 /subscribe 或 /subscribe 办公室\n"
        "/unsubscribe — 取消订阅\n"
        "/settings — 修改所在部门\n"
        "/latest — 最新一期要目\n"
        "/issues — 往期简报列表，每页10期\n"
        "/issue — 查看某一期，例如 /issue 12 或 /issue 2023-1\n"
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
        "/issue — one issue, e.g. /issue 12 or /issue 2023-1\n"
        "/article — one article of an issue, e.g. /article 12 3\n"
        "/search — search the articles, e.g. /search 景区 安全",
    },
    "pointer_to_help": {
        ZH: "我只认识命令。发送 /help 查看全部命令。",
        EN: "I only understand commands. Send /help to see them all.",
    },
    "usage_issue": {ZH: "用法：/issue N 或 /issue 2023-1", EN: "Usage: /issue N or /issue 2023-1"},
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
