"""`make bench` is not part of `make test`; its cold-start runs are, once each, so that a change to the
items or the routes cannot leave the benchmark answering errors (each run checks its status)."""

from __future__ import annotations

from bench import cold_start


def test_every_cold_start_run_of_make_bench_answers_its_expected_status() -> None:
    measured = cold_start.measure(rounds=1)
    assert {function.function_id for function in measured.functions} == {
        "CreateImportFunction",
        "ListImportsFunction",
        "GetImportFunction",
        "UpdateImportFunction",
        "DeleteImportFunction",
        "GithubWebhookFunction",
    }
