"""The sandbox's archive beside the sample bulletin: made-up earlier issues of its 简报 and a 专报 of the same
office, so that paging, the publication filter, the previous-issue button and a reference shared by two
publications (`/issue 2024-3`) can be tried. Every text here is invented for the demo."""

from __future__ import annotations

import datetime as dt

from bulletin.model import Article, Issue, TocEntry

BRIEF = "某市文化和旅游工作简报"  # the sample bulletin's masthead (bulletin_bot/data/sample-bulletin.txt)
REPORT = "某市文化和旅游工作专报"
PUBLISHER = "某市文化和旅游局办公室"
# [publications] of the sandbox (unless the config names its own).
NAMES = ((BRIEF, "简报"), (REPORT, "专报"))

_PLACES = ("东城区", "西山县", "南湖区", "北岭镇", "青石县", "白沙区", "临江镇")
_BRIEF_TOPICS = (
    ("春季景区安全检查全面展开", "{place}组织文旅、消防、市场监管等部门对辖区景区开展联合检查，重点查看游乐设施。",
     "检查发现的问题已建立台账，限期整改到位。"),
    ("乡村旅游精品线路发布", "{place}推出“山水田园”等五条乡村旅游线路，串联民宿、采摘园和非遗工坊。",
     "线路将在节假日开通旅游专线车。"),
    ("公共文化场馆延时开放", "{place}图书馆、文化馆在周末延长开放时间至晚上九点，增设自习座位两百个。",
     "延时开放期间安排志愿者提供咨询服务。"),
    ("文物安全巡查月活动", "{place}开展文物安全巡查月活动，对不可移动文物逐处建立巡查记录。",
     "巡查结果纳入年度文物安全考核。"),
    ("旅游市场秩序专项整治", "{place}针对“不合理低价游”和强制购物开展专项整治，受理游客投诉一律当日响应。",
     "整治期间公布投诉电话，接受社会监督。"),
)
_REPORT_TOPICS = (
    ("关于节假日客流预警工作的报告", "{place}等重点景区节假日多次出现客流高峰，现将预警和疏导情况报告如下。",
     "建议进一步完善分时预约制度，提前发布客流信息。"),
    ("关于文旅项目用地保障情况的专报", "{place}三个重点文旅项目存在用地指标不足问题，影响开工进度。",
     "建议在年度用地计划中予以优先安排。"),
    ("关于非遗传承人队伍建设的调研", "调研组走访{place}十二位非遗传承人，了解技艺传承和收徒情况。",
     "建议设立传承人带徒补贴，扩大青年学徒规模。"),
    ("关于夜间文旅消费的情况汇报", "{place}夜间文旅消费集聚区开街以来，夜间客流同比增长明显。",
     "下一步将加强夜间安全管理和交通组织。"),
    ("关于旅游厕所建设管理的专报", "{place}新建改建旅游厕所二十座，部分厕所存在管护不到位的问题。",
     "建议落实管护责任，纳入景区质量评定。"),
    ("关于防汛期间景区安全的紧急报告", "受强降雨影响，{place}两处景区临时闭园，游客已全部安全转移。",
     "各景区要严格执行汛期值班制度，遇险情及时闭园。"),
    ("关于博物馆研学活动的情况报告", "{place}博物馆推出研学课程十八门，暑期接待学生团队四十余批次。",
     "建议加强研学课程讲解员培训。"),
)


def _issue(masthead: str, number: int, total: int, date: dt.date, topics: list[tuple[str, str, str]]) -> Issue:
    articles = tuple(
        Article(title, (lead.format(place=_PLACES[(number + k) % len(_PLACES)]), close))
        for k, (title, lead, close) in enumerate(topics)
    )
    return Issue(
        masthead=masthead, year=date.year, number=number, total_number=total, publisher=PUBLISHER, date=date,
        toc=tuple(TocEntry(a.title, "工作动态") for a in articles), articles=articles,
        footer=("报：市委办公室，市政府办公室", "送：各区县文化和旅游局"),
    )


def demo_issues() -> list[Issue]:
    """Issues 2024-1 to 2024-5 of the 简报 (the sample is 2024-6) and 2024-1 to 2024-7 of the 专报, oldest first."""
    issues = [
        _issue(BRIEF, n, 52 + n, dt.date(2024, n, 10), [
            _BRIEF_TOPICS[(n + k) % len(_BRIEF_TOPICS)] for k in range(3)
        ])
        for n in range(1, 6)
    ]
    issues += [
        _issue(REPORT, n, 20 + n, dt.date(2024, 1, 5) + dt.timedelta(weeks=3 * (n - 1)), [
            _REPORT_TOPICS[(n + k) % len(_REPORT_TOPICS)] for k in range(2)
        ])
        for n in range(1, 8)
    ]
    return issues
