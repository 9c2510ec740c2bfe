"""Add sessions, projects and GitHub App installations to the local DynamoDB that `make run` started.

    make admin ARGS='session --user 2'                       prints a cookie for user 2
    make admin ARGS='session --user 1 --expires-in -60'      an already expired session
    make admin ARGS='project --user 2 --project 5'
    make admin ARGS='installation --user 2 --account octo-org --repositories hello-world docs'
    make admin ARGS='installation --user 2 --account octo-org'   (all of the account's repositories)
    make admin ARGS='github-link --user 2 --github-user-id 583231'

It talks to http://127.0.0.1:$DYNAMODB_PORT (8000), or to DYNAMODB_ENDPOINT_URL when that is set.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError, ReadTimeoutError

from local import records
from local.settings import LocalSettings, local_dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="make admin ARGS=", description=__doc__.splitlines()[0])
    commands = root.add_subparsers(dest="command", required=True)
    session = commands.add_parser("session", help="add a session and print its cookie")
    session.add_argument("--user", type=int, required=True)
    session.add_argument("--expires-in", type=int, default=24 * 3600, help="seconds; negative: already expired")
    project = commands.add_parser("project", help="add a project owned by a user")
    project.add_argument("--user", type=int, required=True)
    project.add_argument("--project", type=int, required=True)
    installation = commands.add_parser("installation", help="add a GitHub App installation")
    installation.add_argument("--user", type=int, required=True)
    installation.add_argument("--account", required=True, help="the GitHub account (user or organisation) login")
    installation.add_argument(
        "--repositories", nargs="*", default=None, help="the selected repositories; omit for all of them"
    )
    installation.add_argument(
        "--github-user-id", type=int, default=None, help="the installer, linked to the user (default 1000000 + user)"
    )
    link = commands.add_parser("github-link", help="link a GitHub user to a Neptun user, as the login service does")
    link.add_argument("--user", type=int, required=True)
    link.add_argument("--github-user-id", type=int, required=True)
    return root


def main(arguments: list[str]) -> int:
    options = parser().parse_args(arguments)
    endpoint = LocalSettings.from_environment().dynamodb_endpoint
    try:
        _run(options, local_dynamodb_client(endpoint))
    except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError):
        print(
            f"error: no DynamoDB answers at {endpoint}; start `make run` first, or set DYNAMODB_PORT (or"
            " DYNAMODB_ENDPOINT_URL) to the one it prints",
            file=sys.stderr,
        )
        return 1
    except ClientError as refused:
        code = refused.response.get("Error", {}).get("Code", "")
        print(f"error: the DynamoDB at {endpoint} refused the write ({code}); is it `make run`'s?", file=sys.stderr)
        return 1
    return 0


def _run(options: argparse.Namespace, client: DynamoDBClient) -> None:
    if options.command == "session":
        token = records.put_session(client, options.user, lifetime_seconds=options.expires_in)
        print(f"Cookie: neptun-session={token}")
    elif options.command == "project":
        records.put_project(client, options.user, options.project)
        print(f"Project {options.project} of user {options.user} added.")
    elif options.command == "github-link":
        records.put_github_link(client, options.user, options.github_user_id)
        print(f"GitHub user {options.github_user_id} linked to user {options.user}.")
    else:
        installer = options.github_user_id or records.local_github_user_id(options.user)
        installation_id = records.put_installation(
            client, options.user, options.account, options.repositories, installer_github_user_id=installer
        )
        covered = "all repositories" if options.repositories is None else ", ".join(options.repositories) or "none"
        print(
            f"Installation {installation_id} on {options.account} added as GitHub's deliveries would (any earlier "
            f"one on that account uninstalled), covering "
            f"{covered}; installer GitHub user {installer}, linked to user {options.user}."
        )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
