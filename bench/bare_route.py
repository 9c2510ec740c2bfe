"""The least a validated Powertools route can do: our path and body model, a constant 201.

`like_the_handler` gives the same route the handler's path types (plain-digit ids within 1..2^53-1)
and its 201's `Location` header, so that Powertools' own extra work for our route can be measured
apart from our code.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from domain.models import CreateImportRequest
from handlers.path_ids import ResourceId

_BODY = '{"import":{}}'


def bare_route_resolver(like_the_handler: bool = False) -> APIGatewayHttpResolver:
    app = APIGatewayHttpResolver(enable_validation=True)
    route = "/api/users/<user_id>/projects/<project_id>/resources/imports"
    if like_the_handler:

        @app.post(route)
        def create_like_the_handler(
            user_id: Annotated[ResourceId, Path()],
            project_id: Annotated[ResourceId, Path()],
            request: Annotated[CreateImportRequest, Body()],
        ) -> Response[Any]:
            location = f"/api/users/{user_id}/projects/{project_id}/resources/imports/1"
            return Response(
                status_code=201, content_type=content_types.APPLICATION_JSON, body=_BODY, headers={"Location": location}
            )

        return app

    @app.post(route)
    def create(
        user_id: Annotated[int, Path()],
        project_id: Annotated[int, Path()],
        request: Annotated[CreateImportRequest, Body()],
    ) -> Response[Any]:
        return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=_BODY)

    return app
