"""Key formats of the two tables, each defined once.

Sessions table: partition key `token_hash` (SHA-256 hex of the cookie value).
Data table (single-table design), partition key `PK`, sort key `SK`:

| item                | PK                              | SK                                  |
| ------------------- | ------------------------------- | ----------------------------------- |
| project             | USER#<user_id>                  | PROJECT#<project_id>                |
| GitHub installation | USER#<user_id>                  | GITHUB_INSTALLATION#<login, lower>  |
| import              | USER#<user_id>#PROJECT#<pid>    | IMPORT#<id, 16 digits>              |
| import id claim     | IMPORT#<id>                     | IMPORT#<id>                         |
| request key claim   | REQUEST#<sha256 of user:key>    | REQUEST#<sha256 of user:key>        |

A project's imports share one partition, so listing them is a Query in id (= creation) order.
The id claim makes an id unique across the whole service, whichever project holds it. The request key
claim makes a client's Idempotency-Key store at most one import, whatever becomes of its responses.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:  # the stubs are a development dependency only
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef

Key: TypeAlias = "dict[str, AttributeValueTypeDef]"

SESSION_KEY_ATTRIBUTE = "token_hash"
PARTITION_KEY = "PK"
SORT_KEY = "SK"
# 2**53 - 1 has 16 digits; zero-padding keeps the string order of sort keys the numeric order.
_ID_DIGITS = 16
_IMPORT_PREFIX = "IMPORT#"
_INSTALLATION_PREFIX = "GITHUB_INSTALLATION#"


def session_key(token_hash: str) -> Key:
    return {SESSION_KEY_ATTRIBUTE: {"S": token_hash}}


def _data_key(partition: str, sort: str) -> Key:
    return {PARTITION_KEY: {"S": partition}, SORT_KEY: {"S": sort}}


def project_key(user_id: int, project_id: int) -> Key:
    return _data_key(f"USER#{user_id}", f"PROJECT#{project_id}")


def installation_key(user_id: int, account_login: str) -> Key:
    # GitHub logins are case-insensitive, so the key holds the lower-case form.
    return _data_key(f"USER#{user_id}", f"{_INSTALLATION_PREFIX}{account_login.lower()}")


def import_key(user_id: int, project_id: int, import_id: int) -> Key:
    return _data_key(f"USER#{user_id}#PROJECT#{project_id}", _import_sort_key(import_id))


def import_partition(user_id: int, project_id: int) -> AttributeValueTypeDef:
    return {"S": f"USER#{user_id}#PROJECT#{project_id}"}


def import_sort_key_range(after_id: int | None, descending: bool) -> tuple[str, str]:
    """The lowest and highest import sort key of a page that starts after `after_id`, in its order."""
    lowest, highest = 0, 10**_ID_DIGITS - 1
    if after_id is not None and descending:
        highest = after_id - 1  # -1 when after_id is 0: BETWEEN then finds nothing, as it should
    elif after_id is not None:
        lowest = after_id + 1
    return _import_sort_key(lowest), _import_sort_key(highest)


def _import_sort_key(import_id: int) -> str:
    return f"{_IMPORT_PREFIX}{import_id:0{_ID_DIGITS}d}"


def is_import(item: dict[str, AttributeValueTypeDef]) -> bool:
    partition, sort = item.get(PARTITION_KEY, {}), item.get(SORT_KEY, {})
    return "#PROJECT#" in partition.get("S", "") and sort.get("S", "").startswith(_IMPORT_PREFIX)


def is_installation(item: dict[str, AttributeValueTypeDef]) -> bool:
    return item.get(SORT_KEY, {}).get("S", "").startswith(_INSTALLATION_PREFIX)


def import_id_claim_key(import_id: int) -> Key:
    return _data_key(f"IMPORT#{import_id}", f"IMPORT#{import_id}")


def request_key_claim_key(request_key: str) -> Key:
    # Hashed: the key is client-chosen text, and a fixed-length hex digest keeps the item key bounded.
    digest = hashlib.sha256(request_key.encode("utf-8")).hexdigest()
    return _data_key(f"REQUEST#{digest}", f"REQUEST#{digest}")
