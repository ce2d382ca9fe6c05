"""JIRA's ErrorCollection envelope and the exception handlers raise to produce it."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import JSONResponse


def error_body(messages: list[str] | None = None, errors: Mapping[str, str] | None = None) -> dict[str, object]:
    return {"errorMessages": list(messages or []), "errors": dict(errors or {})}


def error_response(status: int, messages: list[str] | None = None, errors: Mapping[str, str] | None = None,
                   headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(messages, errors), status_code=status, headers=dict(headers or {}))


class ApiError(Exception):
    def __init__(self, status: int, messages: list[str] | None = None, errors: Mapping[str, str] | None = None):
        super().__init__(f"{status}: {messages or ''} {dict(errors or {})}")
        self.status = status
        self.messages = list(messages or [])
        self.errors = dict(errors or {})

    def response(self) -> JSONResponse:
        return error_response(self.status, self.messages, self.errors)


def issue_not_found() -> ApiError:
    return ApiError(404, ["Issue does not exist or you do not have permission to see it."])
