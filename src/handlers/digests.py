"""What the two digest routes (an import's, a project's) share at the HTTP edge: the bound a client
may ask for, how one response is measured, and the Markdown or 304 answer with its ETag."""

from __future__ import annotations

import json
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BeforeValidator, Field

from domain.import_digest import ResponseLimit
from domain.import_files import MAX_DIGEST_TOKENS, ImportDigest
from handlers.path_ids import plain_decimal_digits
from handlers.preconditions import REVALIDATE

MARKDOWN = "text/markdown; charset=utf-8"
# Lambda returns at most 6 MB (6,291,456 bytes) to API Gateway, the body escaped inside a JSON
# envelope; what is left for the headers and the envelope's own fields is ample below this.
MAX_ESCAPED_BODY_BYTES = 6_000_000
QUERY_NAMES = frozenset({"max_tokens"})

MaxTokens = Annotated[
    Annotated[int, BeforeValidator(plain_decimal_digits), Field(ge=1, le=MAX_DIGEST_TOKENS)] | None,
    Query(description=f"At most this many tokens of files (their listed counts summed), 1 to {MAX_DIGEST_TOKENS:,}."),
]


def escaped_size(text: str) -> int:
    """The text's size as Lambda carries it, escaped as JSON (`\\n`, `\\uXXXX`)."""
    return len(json.dumps(text))


RESPONSE_LIMIT = ResponseLimit(escaped_size, MAX_ESCAPED_BODY_BYTES)


def digest_response(digest: ImportDigest) -> Response[Any]:
    """200 with the Markdown, or 304 when the client holds this version; the ETag either way."""
    headers = {"ETag": f'"{digest.etag}"'} | REVALIDATE
    if digest.markdown is None:
        return Response(status_code=304, headers=headers)
    return Response(status_code=200, content_type=MARKDOWN, body=digest.markdown, headers=headers)
