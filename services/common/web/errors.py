"""One error shape for every API: ``{"error": {"code", "message", "fields"?}}``."""
from __future__ import annotations

from flask import jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from services.common.errors import DomainError

_ZH = {
    "Missing data for required field.": "此项为必填项",
    "Unknown field.": "不认识的字段",
    "Not a valid string.": "应为文字",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid boolean.": "应为是或否",
    "Not a valid date.": "日期格式应为 YYYY-MM-DD",
    "Not a valid datetime.": "时间格式不正确",
    "Not a valid email address.": "邮箱格式不正确",
    "Field may not be null.": "此项不能为空",
    "Not a valid list.": "应为列表",
    "Invalid input type.": "输入类型不正确",
    "Must be one of:": "应为以下之一：",
    "Length must be between": "长度应在",
    "Shorter than minimum length": "长度不足",
    "Longer than maximum length": "长度超出上限",
}

_HTTP = {400: ("bad_request", "请求格式不正确"), 401: ("unauthorized", "请先登录"),
         403: ("forbidden", "无权访问"), 404: ("not_found", "没有找到您要的内容"),
         405: ("method_not_allowed", "不支持的请求方法"), 413: ("too_large", "上传内容过大"),
         415: ("unsupported_media_type", "不支持的内容类型"),
         429: ("rate_limited", "操作过于频繁，请稍后再试"), 500: ("internal", "系统内部错误，请稍后再试"),
         503: ("unavailable", "服务暂时不可用")}


def zh(message: str) -> str:
    for en, cn in _ZH.items():
        if message.startswith(en):
            return message.replace(en, cn, 1)
    return message


def translate(messages):
    if isinstance(messages, dict):
        return {k: translate(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [translate(m) for m in messages]
    return zh(str(messages))


def _wants_html() -> bool:
    return request.path.startswith("/ops/")


def error_response(status: int, code: str, message: str, **extra):
    if _wants_html():
        return render_template("ops/error.html", status=status, code=code, message=message), status
    body = {"error": {"code": code, "message": message, **extra}}
    return jsonify(body), status


def register_error_handlers(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        return error_response(exc.status, exc.code, exc.message, **exc.details)

    @app.errorhandler(ValidationError)
    def _validation(exc: ValidationError):
        return error_response(422, "validation_failed", "提交的内容有误，请按提示修改",
                              fields=translate(exc.messages))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code, message = _HTTP.get(exc.code or 500, ("http_error", exc.description or ""))
        resp = error_response(exc.code or 500, code, message)
        if exc.code == 429 and getattr(exc, "retry_after", None):
            resp[0].headers["Retry-After"] = str(exc.retry_after)
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal", _HTTP[500][1])
