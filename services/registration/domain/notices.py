"""Texts the candidate reads and accepts during the seed-002 flow, and the proof-file rules.

The notices are condensed from seed 004 (告知承诺制) and seed 002 (报考须知); the exam admin's
own wording can replace them later without changing the flow.
"""
from __future__ import annotations

from services.common.uploads import document_type

COMMITMENT_NOTICE = (
    "资格考试报名证明事项推行告知承诺制，报考人员可自主选择是否采用告知承诺制方式办理。"
    "选择告知承诺制的，由本人在网上报名系统签署告知承诺书（电子文本），考试组织机构不再索要有关证明，"
    "依据承诺办理报名；考生一旦正式报名，无论在考试前后，被发现有不实承诺情形或不符合报名条件的，"
    "均给予报名无效、成绩无效或证书无效等处理。被记入资格考试诚信档案库且在记录期内的人员不适用"
    "告知承诺制。未选择告知承诺制或撤回承诺的，本年度该项考试中不再适用告知承诺制（选不承诺的，"
    "不可逆转回承诺），须按规定上传证明材料，待审核通过后才可缴费。"
)
COMMITMENT_LETTER = (
    "本人已阅读并知晓报考条件、证明义务和证明内容，现郑重承诺：1. 本人符合报考条件；"
    "2. 所填报信息真实、准确、完整；3. 愿意接受考试组织机构的核查并配合提供相关材料；"
    "4. 愿意承担不实承诺的法律责任并接受处理。"
)
EXAM_NOTICE = (
    "请仔细阅读报考须知：报名信息由本人如实填报；报考级别、专业和科目在缴费后不可修改；"
    "缴费须在缴费期内完成，逾期视为放弃；考场和座位由系统随机编排；准考证须在规定时间内自行"
    "下载并用 A4 纸打印；成绩公布之日起 30 日内可申请成绩复核。"
)

MAX_PROOF_BYTES = 10 * 1024 * 1024
PROOF_KINDS = {"education": "学历（学位）证书", "work_years": "专业工作年限证明",
               "exemption": "免试科目依据", "other": "其他证明材料"}


sniff = document_type  # the proof's real type from its bytes (never the name or the header)


def proof_problem(content: bytes) -> tuple[str, str] | None:
    """(code, Chinese message) when the file cannot be accepted, else None."""
    if not content:
        return "proof_empty", "请选择要上传的文件"
    if len(content) > MAX_PROOF_BYTES:
        return "proof_too_large", "文件不能超过 10 MB"
    if sniff(content) is None:
        return "proof_type", "只能上传 PDF 或 JPEG 格式的文件（按文件内容判断）"
    return None


def major_warning(relation: str | None, major: str | None) -> str | None:
    """Seed 002: confirming warns when the major is neither own nor related."""
    if relation in ("own", "related"):
        return None
    if relation == "other":
        return (f"您的所学专业“{major}”不属于报考专业的本专业或相近专业，报考所需的专业工作年限"
                "可能更长，请核对报考条件后再确认。")
    return "暂时无法判断您的所学专业与报考专业的关系，请对照专业对照表自行核对报考条件。"
