"""Creates the tables template.yaml declares, in whatever DynamoDB the client points at."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from local.template import create_table_requests, time_to_live_attributes

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def create_tables(client: DynamoDBClient, *, streams: bool = False) -> list[str]:
    """Create every table of the template that does not exist yet; return the names of all of them."""
    existing = set(client.list_tables()["TableNames"])
    time_to_live = time_to_live_attributes()
    names = []
    for request in create_table_requests(streams=streams):
        name = request["TableName"]
        names.append(name)
        if name in existing:
            continue
        arguments: Any = request
        client.create_table(**arguments)
        client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        if name in time_to_live:
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"AttributeName": time_to_live[name], "Enabled": True}
            )
    return names


def delete_tables(client: DynamoDBClient) -> None:
    """Delete every table of the template that exists (only ever an embedded DynamoDB's)."""
    existing = set(client.list_tables()["TableNames"])
    for request in create_table_requests():
        name = request["TableName"]
        if name in existing:
            client.delete_table(TableName=name)
            client.get_waiter("table_not_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
