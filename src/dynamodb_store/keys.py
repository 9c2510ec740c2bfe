"""Key formats of the two tables, each defined once.

Sessions table: partition key `token_hash` (SHA-256 hex of the cookie value).
Data table (single-table design), partition key `PK`, sort key `SK`:

| item                    | PK                              | SK                                  |
| ----------------------- | ------------------------------- | ----------------------------------- |
| project                 | USER#<user_id>                  | PROJECT#<project_id>                |
| GitHub link             | GITHUB_USER#<GitHub user id>    | GITHUB_USER#<GitHub user id>        |
| installation (state)    | GITHUB_INSTALLATION#<id>        | GITHUB_INSTALLATION#<id>            |
| installation on account | GITHUB_ACCOUNT#<login, lower>   | GITHUB_ACCOUNT#<login, lower>       |
| repository of an account | GITHUB_ACCOUNT#<login, lower>  | REPOSITORY#<name, lower>            |
| webhook delivery claim  | GITHUB_DELIVERY#<delivery id>   | GITHUB_DELIVERY#<delivery id>       |
| webhook body claim      | GITHUB_DELIVERY_BODY#<sha256>   | GITHUB_DELIVERY_BODY#<sha256>       |
| webhook part claim      | GITHUB_DELIVERY_BODY#<sha256>#PART#<n> | the same                     |
| import                  | USER#<user_id>#PROJECT#<pid>    | IMPORT#<id, 16 digits>              |
| import by source type   | USER#<user_id>#PROJECT#<pid>    | SOURCE_TYPE#<type>#IMPORT#<id>      |
| import id claim         | IMPORT#<id>                     | IMPORT#<id>                         |
| request key claim       | REQUEST#<sha256 of user:key>    | REQUEST#<sha256 of user:key>        |

A project's imports share one partition, so listing them is a Query in id (= creation) order. Each
import has a copy under its source type in the same partition, written in the same transaction, so a
filtered page is the same one Query over that type's range (docs/tables.md, "Filtered pages").
The id claim makes an id unique across the whole service, whichever project holds it. The request key
claim makes a client's Idempotency-Key store at most one import, whatever becomes of its responses.
Index `runs_due` (sparse; docs/tables.md, "Runs due"): partition key `runs_due_shard` (N, the import's id
modulo RUNS_DUE_SHARDS, on an import's own item only, never on its copy), sort key `run_due_at` (N,
epoch seconds), which an import carries only while its run is open (pending or importing). A run still
open after its `run_due_at` is overdue: the sweep (handlers/import_sweep.py) queries each shard for
them, so it reads what is overdue and nothing else, however many imports are stored.
Index `runs_importing` (sparse): partition key `importing_user` (N, the import's user, set by a claim on
the import's own item only), sort key `run_lease_until` (N, epoch seconds, while a run holds the claim).
A user's live runs are those whose lease has not ended: the worker counts them before it claims
another (domain/import_runs.py, MAX_RUNS_IMPORTING_PER_USER).
The webhook keeps an installation's state by its id and a copy under its account's login, which is
what a create names, with one item per repository beside it (a create reads the copy and the one
repository it names); the link (written by the login service) says whose installation it is.
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
_SOURCE_TYPE_PREFIX = "SOURCE_TYPE#"
_ACCOUNT_PREFIX = "GITHUB_ACCOUNT#"
RUNS_DUE_INDEX = "runs_due"
RUNS_DUE_SHARD = "runs_due_shard"
RUN_DUE_AT = "run_due_at"
RUNS_IMPORTING_INDEX = "runs_importing"
IMPORTING_USER = "importing_user"
RUN_LEASE_UNTIL = "run_lease_until"
# On an import's own item, never on its copy: they put the item in an index, where the copy would count twice.
IMPORT_ONLY_ATTRIBUTES = frozenset({RUNS_DUE_SHARD, IMPORTING_USER})
# Spreads the index's writes over partitions (each takes about 1,000 writes a second); the sweep asks
# each shard in turn.
RUNS_DUE_SHARDS = 8


def session_key(token_hash: str) -> Key:
    return {SESSION_KEY_ATTRIBUTE: {"S": token_hash}}


def _data_key(partition: str, sort: str) -> Key:
    return {PARTITION_KEY: {"S": partition}, SORT_KEY: {"S": sort}}


def project_key(user_id: int, project_id: int) -> Key:
    return _data_key(f"USER#{user_id}", f"PROJECT#{project_id}")


def _singleton_key(name: str) -> Key:
    # Items read only by their own key need no sort order: both parts are the same.
    return _data_key(name, name)


def account_installation_key(account_login: str) -> Key:
    # GitHub logins are case-insensitive, so the key holds the lower-case form.
    return _singleton_key(f"{_ACCOUNT_PREFIX}{account_login.lower()}")


_REPOSITORY_PREFIX = "REPOSITORY#"


def repository_key(account_login: str, repository_name: str) -> Key:
    # Logins and repository names are case-insensitive on GitHub: the key holds the lower-case forms.
    account = account_installation_key(account_login)
    return {PARTITION_KEY: account[PARTITION_KEY], SORT_KEY: {"S": f"{_REPOSITORY_PREFIX}{repository_name.lower()}"}}


def repository_range(account_login: str) -> tuple[AttributeValueTypeDef, AttributeValueTypeDef]:
    """The partition and sort key prefix of an account's repository items, for a Query."""
    return account_installation_key(account_login)[PARTITION_KEY], {"S": _REPOSITORY_PREFIX}


def is_repository(item: dict[str, AttributeValueTypeDef]) -> bool:
    return item.get(SORT_KEY, {}).get("S", "").startswith(_REPOSITORY_PREFIX)


def installation_state_key(installation_id: int) -> Key:
    return _singleton_key(f"GITHUB_INSTALLATION#{installation_id}")


def github_link_key(github_user_id: int) -> Key:
    return _singleton_key(f"GITHUB_USER#{github_user_id}")


def delivery_claim_key(delivery_id: str) -> Key:
    return _singleton_key(f"GITHUB_DELIVERY#{delivery_id}")


def delivery_body_claim_key(body_digest: str) -> Key:
    return _singleton_key(f"GITHUB_DELIVERY_BODY#{body_digest}")


def delivery_part_claim_key(body_digest: str, part: int) -> Key:
    return _singleton_key(f"GITHUB_DELIVERY_BODY#{body_digest}#PART#{part}")


def import_key(user_id: int, project_id: int, import_id: int) -> Key:
    return _data_key(f"USER#{user_id}#PROJECT#{project_id}", _import_sort_key(import_id))


def import_copy_key(user_id: int, project_id: int, source_type: str, import_id: int) -> Key:
    """The import's copy under its source type, beside it in the project's partition."""
    return _data_key(f"USER#{user_id}#PROJECT#{project_id}", _import_sort_key(import_id, source_type))


def import_partition(user_id: int, project_id: int) -> AttributeValueTypeDef:
    return {"S": f"USER#{user_id}#PROJECT#{project_id}"}


def import_sort_key_range(after_id: int | None, descending: bool, source_type: str | None = None) -> tuple[str, str]:
    """The lowest and highest sort key of a page that starts after `after_id`, in its order: over the
    imports themselves, or over their copies under `source_type`."""
    lowest, highest = 0, 10**_ID_DIGITS - 1
    if after_id is not None and descending:
        highest = after_id - 1  # -1 when after_id is 0: BETWEEN then finds nothing, as it should
    elif after_id is not None:
        lowest = after_id + 1
    return _import_sort_key(lowest, source_type), _import_sort_key(highest, source_type)


def _import_sort_key(import_id: int, source_type: str | None = None) -> str:
    prefix = "" if source_type is None else f"{_SOURCE_TYPE_PREFIX}{source_type}#"
    return f"{prefix}{_IMPORT_PREFIX}{import_id:0{_ID_DIGITS}d}"


def is_import(item: dict[str, AttributeValueTypeDef]) -> bool:
    partition, sort = item.get(PARTITION_KEY, {}), item.get(SORT_KEY, {})
    return "#PROJECT#" in partition.get("S", "") and sort.get("S", "").startswith(_IMPORT_PREFIX)


def is_import_copy(item: dict[str, AttributeValueTypeDef]) -> bool:
    partition, sort = item.get(PARTITION_KEY, {}), item.get(SORT_KEY, {})
    return "#PROJECT#" in partition.get("S", "") and sort.get("S", "").startswith(_SOURCE_TYPE_PREFIX)


def import_key_of_copy(copy_key: Key) -> Key:
    """The key of the import a copy (import_copy_key) was made from."""
    sort = copy_key[SORT_KEY].get("S", "")
    return _data_key(copy_key[PARTITION_KEY].get("S", ""), sort[sort.index(_IMPORT_PREFIX) :])


def is_account_installation(item: dict[str, AttributeValueTypeDef]) -> bool:
    return item.get(SORT_KEY, {}).get("S", "").startswith(_ACCOUNT_PREFIX)


def import_id_claim_key(import_id: int) -> Key:
    return _singleton_key(f"IMPORT#{import_id}")


def request_key_claim_key(request_key: str) -> Key:
    # Hashed: the key is client-chosen text, and a fixed-length hex digest keeps the item key bounded.
    digest = hashlib.sha256(request_key.encode("utf-8")).hexdigest()
    return _singleton_key(f"REQUEST#{digest}")


def runs_due_shard(import_id: int) -> dict[str, AttributeValueTypeDef]:
    """The attribute that puts an import's own item in the runs_due index while it has a run_due_at."""
    return {RUNS_DUE_SHARD: {"N": str(import_id % RUNS_DUE_SHARDS)}}
