"""Files a route answers with (an export, a finance file): the answer and its OpenAPI
description, the same for every service."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response


def file_responses(description: str, media_types: Iterable[str]) -> dict[str, Any]:
    """The ``responses`` of an operation whose 200 is a file in one of ``media_types``."""
    return {"200": {"description": description,
                    "content": {media: {"schema": {"type": "string", "format": "binary"}}
                                for media in media_types}}}


def file_answer(content: bytes, media_type: str, filename: str, records: int,
                headers: Mapping[str, str] | None = None) -> Response:
    """``content`` to be saved as ``filename`` (a browser downloads it rather than showing
    it), with how many records it holds in ``X-Record-Count``."""
    return Response(content, mimetype=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "X-Record-Count": str(records), **(headers or {})})
