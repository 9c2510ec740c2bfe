"""A Lambda context object for invoking the handler outside Lambda."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field


@dataclass
class LocalLambdaContext:
    function_name: str = "CreateImportFunction"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:CreateImportFunction"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/CreateImportFunction"
    log_stream_name: str = "local"

    @classmethod
    def of(cls, function_id: str) -> LocalLambdaContext:
        """The context of the template's function `function_id`, so that its logs name it."""
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_id}"
        return cls(function_name=function_id, invoked_function_arn=arn, log_group_name=f"/aws/lambda/{function_id}")

    def get_remaining_time_in_millis(self) -> int:
        return 12_000
