"""The least a validated Powertools route can do: our path and body model, a constant 201."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from domain.models import CreateImportRequest


def bare_route_resolver() -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)

    @app.post("/api/users/<user_id>/projects/<project_id>/resources/imports")
    def create(
        user_id: Annotated[int, Path()],
        project_id: Annotated[int, Path()],
        request: Annotated[CreateImportRequest, Body()],
    ) -> Response[Any]:
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body='{"import":{}}')

    return app
