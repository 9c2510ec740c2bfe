"""template.yaml's import pipeline: the stream, the queues, the bucket, and each function's least privilege."""

from __future__ import annotations

from typing import Any

from dynamodb_store import keys
from local.template import Intrinsic, load_template, resources_of_type, schedule_seconds
from tests.cloudformation import resolved
from tests.iam_policy import Access, allows, grants

RESOURCES = load_template()["Resources"]


def test_the_data_table_streams_both_images_to_the_outbox() -> None:
    assert RESOURCES["DataTable"]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    [event] = RESOURCES["ImportOutboxFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "DynamoDB"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BisectBatchOnFunctionError"] is True
    patterns = [entry["Pattern"] for entry in event["Properties"]["FilterCriteria"]["Filters"]]
    assert all('"entity_type": {"S": ["import"]}' in pattern for pattern in patterns)


def test_an_existing_table_must_name_its_stream() -> None:
    [assertion] = resolved({"ExistingDataTableName": "kept-table"})["Rules"]["ExistingDataTableNamesItsStream"]
    assert assertion["Assert"] is False
    stream = "arn:aws:dynamodb:eu-west-1:123456789012:table/kept-table/stream/2026-12-01T00:00:00.000"
    named = resolved({"ExistingDataTableName": "kept-table", "ExistingDataTableStreamArn": stream})
    assert named["Rules"]["ExistingDataTableNamesItsStream"][0]["Assert"] is True
    mapping = named["Resources"]["ImportOutboxFunctionDataTableStream"]["Properties"]
    assert mapping["EventSourceArn"] == stream


def test_a_job_is_tried_a_bounded_number_of_times_then_kept_in_the_dead_letter_queue() -> None:
    queue = RESOURCES["ImportJobsQueue"]["Properties"]
    worker = RESOURCES["ImportWorkerFunction"]["Properties"]
    assert queue["RedrivePolicy"]["maxReceiveCount"] == Intrinsic("Ref", "ImportJobMaxReceives")
    assert worker["Environment"]["Variables"]["IMPORT_JOB_MAX_RECEIVES"] == Intrinsic("Ref", "ImportJobMaxReceives")
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]  # AWS's advice for a Lambda reading a queue
    [event] = worker["Events"].values()
    assert (event["Type"], event["Properties"]["BatchSize"]) == ("SQS", 1)
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_dead_letter_queue_and_the_oldest_job_have_alarms() -> None:
    watched = {
        (
            alarm["Properties"]["MetricName"],
            str(dimension["Value"].value),
        )
        for alarm in resources_of_type("AWS::CloudWatch::Alarm").values()
        for dimension in alarm["Properties"].get("Dimensions", [])
        if dimension["Name"] == "QueueName"
    }
    queues = {queue for _, queue in watched}
    assert queues == {
        "ImportJobsDeadLetterQueue.QueueName",
        "ImportJobsQueue.QueueName",
        "ImportOutboxFailuresQueue.QueueName",
    }
    assert ("ApproximateAgeOfOldestMessage", "ImportJobsQueue.QueueName") in watched


def test_the_content_bucket_is_private_encrypted_and_tls_only() -> None:
    bucket = RESOURCES["ContentBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    [statement] = RESOURCES["ContentBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_the_upload_bucket_is_private_encrypted_tls_only_and_forgets_within_a_day() -> None:
    bucket = RESOURCES["UploadBucket"]["Properties"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    [rule] = bucket["LifecycleConfiguration"]["Rules"]
    assert (rule["Status"], rule["ExpirationInDays"]) == ("Enabled", 1)
    [statement] = RESOURCES["UploadBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})


def test_only_the_upload_bucket_tells_the_jobs_queue_of_each_arrived_upload() -> None:
    deployed = resolved({})["Resources"]
    bucket = deployed["UploadBucket"]
    [notification] = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    assert "ImportJobsQueue" in str(notification["Queue"])
    assert bucket["DependsOn"] == "ImportJobsQueuePolicy"  # S3 checks it may send when the bucket is made
    [statement] = deployed["ImportJobsQueuePolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Principal"], statement["Action"]) == ({"Service": "s3.amazonaws.com"}, "sqs:SendMessage")
    # The policy names the bucket by the name the bucket is given: the two are built alike.
    name = bucket["Properties"]["BucketName"]
    assert str(statement["Condition"]["ArnEquals"]["aws:SourceArn"]).endswith(str(name))
    assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]


def test_the_upload_bucket_lets_only_the_web_uis_origins_post_from_a_browser() -> None:
    assert "CorsConfiguration" not in resolved({})["Resources"]["UploadBucket"]["Properties"]
    origins = "https://app.neptun.dev,https://staging.neptun.dev"
    bucket = resolved({"CorsAllowedOrigins": origins})["Resources"]["UploadBucket"]["Properties"]
    [rule] = bucket["CorsConfiguration"]["CorsRules"]
    assert rule["AllowedOrigins"] == origins.split(",")
    assert rule["AllowedMethods"] == ["POST"]


def test_the_outbox_may_only_send_to_its_queues() -> None:
    assert grants("ImportOutboxFunction") == {
        ("sqs:SendMessage", "ImportJobsQueue.Arn"),
        ("sqs:SendMessage", "ImportOutboxFailuresQueue.Arn"),
    }


def test_the_worker_has_exactly_what_a_run_needs() -> None:
    assert grants("ImportWorkerFunction") == {
        (
            "ssm:GetParameter",
            "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${GithubAppPrivateKeyParameterName}",
        ),
        ("dynamodb:GetItem", "DataTable.Arn"),
        ("dynamodb:BatchGetItem", "DataTable.Arn"),
        ("dynamodb:UpdateItem", "DataTable.Arn"),
        ("s3:PutObject", "${ContentBucket.Arn}/imports/*"),
        ("s3:DeleteObject", "${ContentBucket.Arn}/imports/*"),
        ("s3:ListBucket", "ContentBucket.Arn"),
        # A folder's run reads its upload; a released one is deleted; a missing one answers 404.
        ("s3:GetObject", "${UploadBucket.Arn}/uploads/*"),
        ("s3:DeleteObject", "${UploadBucket.Arn}/uploads/*"),
        ("s3:ListBucket", "UploadBucket.Arn"),
        ("sqs:SendMessage", "ImportJobsQueue.Arn"),
        ("sqs:ChangeMessageVisibility", "ImportJobsQueue.Arn"),
        ("dynamodb:Query", "${DataTable.Arn}/index/runs_importing"),
    }


def test_the_worker_writes_only_imports_and_reads_only_imports_and_installations() -> None:
    import_partition = keys.import_key(1, 789, 42)[keys.PARTITION_KEY]["S"]
    for action in ("dynamodb:GetItem", "dynamodb:UpdateItem"):
        assert allows("ImportWorkerFunction", Access(action, "DataTable", frozenset({import_partition})))
    never: list[Any] = [
        keys.project_key(1, 789),
        keys.installation_state_key(5),
        keys.github_link_key(5),
        keys.account_installation_key("octo"),
        keys.import_id_claim_key(42),
    ]
    for key in never:
        partition = frozenset({key[keys.PARTITION_KEY]["S"]})
        assert not allows("ImportWorkerFunction", Access("dynamodb:UpdateItem", "DataTable", partition)), key
    account = frozenset({keys.account_installation_key("octo")[keys.PARTITION_KEY]["S"]})
    assert allows("ImportWorkerFunction", Access("dynamodb:BatchGetItem", "DataTable", account))
    state = frozenset({keys.installation_state_key(5)[keys.PARTITION_KEY]["S"]})
    assert not allows("ImportWorkerFunction", Access("dynamodb:BatchGetItem", "DataTable", state))


def test_the_runs_due_index_is_the_one_the_sweep_queries_and_holds_what_a_job_needs() -> None:
    table = RESOURCES["DataTable"]["Properties"]
    [index] = [index for index in table["GlobalSecondaryIndexes"] if index["IndexName"] == keys.RUNS_DUE_INDEX]
    assert [(part["AttributeName"], part["KeyType"]) for part in index["KeySchema"]] == [
        (keys.RUNS_DUE_SHARD, "HASH"),
        (keys.RUN_DUE_AT, "RANGE"),
    ]
    types = {definition["AttributeName"]: definition["AttributeType"] for definition in table["AttributeDefinitions"]}
    assert (types[keys.RUNS_DUE_SHARD], types[keys.RUN_DUE_AT]) == ("N", "N")
    # The job's ids and start, and the source type that names the copy a postponement also writes.
    assert index["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["id", "neptun_user_id", "project_id", "source_type", "run_start_id"],
    }


def test_the_sweep_runs_every_fifteen_minutes_with_exactly_what_it_needs() -> None:
    sweep = RESOURCES["ImportSweepFunction"]["Properties"]
    [event] = sweep["Events"].values()
    assert (event["Type"], event["Properties"]["Schedule"]) == ("Schedule", "rate(15 minutes)")
    assert grants("ImportSweepFunction") == {
        ("dynamodb:Query", "${DataTable.Arn}/index/runs_due"),
        ("dynamodb:UpdateItem", "DataTable.Arn"),
        ("sqs:SendMessage", "ImportJobsQueue.Arn"),
    }
    import_partition = frozenset({keys.import_key(1, 789, 42)[keys.PARTITION_KEY]["S"]})
    assert allows("ImportSweepFunction", Access("dynamodb:UpdateItem", "DataTable", import_partition))
    project = frozenset({keys.project_key(1, 789)[keys.PARTITION_KEY]["S"]})
    assert not allows("ImportSweepFunction", Access("dynamodb:UpdateItem", "DataTable", project))
    assert not allows("ImportSweepFunction", Access("dynamodb:Query", "DataTable", import_partition))
    assert allows("ImportSweepFunction", Access("dynamodb:Query", "DataTable", frozenset(), index=keys.RUNS_DUE_INDEX))


def test_with_an_existing_table_the_sweep_queries_that_tables_index() -> None:
    stream = "arn:aws:dynamodb:eu-west-1:123456789012:table/kept-table/stream/2026-12-01T00:00:00.000"
    named = resolved({"ExistingDataTableName": "kept-table", "ExistingDataTableStreamArn": stream})
    role = named["Resources"]["ImportSweepFunctionRole"]["Properties"]
    resources = [
        statement["Resource"]
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        if statement["Action"] == "dynamodb:Query"
    ]
    assert resources == ["arn:aws:dynamodb:eu-west-1:123456789012:table/kept-table/index/runs_due"]


def test_make_run_sweeps_as_often_as_the_schedule_says() -> None:
    assert schedule_seconds("ImportSweepFunction") == 15 * 60


def test_the_runs_importing_index_counts_a_users_live_claims_and_only_the_worker_reads_it() -> None:
    table = RESOURCES["DataTable"]["Properties"]
    [index] = [index for index in table["GlobalSecondaryIndexes"] if index["IndexName"] == keys.RUNS_IMPORTING_INDEX]
    assert [(part["AttributeName"], part["KeyType"]) for part in index["KeySchema"]] == [
        (keys.IMPORTING_USER, "HASH"),
        (keys.RUN_LEASE_UNTIL, "RANGE"),
    ]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}  # a count needs nothing more
    types = {definition["AttributeName"]: definition["AttributeType"] for definition in table["AttributeDefinitions"]}
    assert (types[keys.IMPORTING_USER], types[keys.RUN_LEASE_UNTIL]) == ("N", "N")
    index_access = Access("dynamodb:Query", "DataTable", frozenset(), index=keys.RUNS_IMPORTING_INDEX)
    readers = {
        function for function in resources_of_type("AWS::Serverless::Function") if allows(function, index_access)
    }
    assert readers == {"ImportWorkerFunction"}
