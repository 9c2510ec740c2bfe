"""`make bench` is not part of `make test`; its cold-start runs are, once each, so that a change to the
items or the routes cannot leave the benchmark answering errors (each run checks its status)."""

from __future__ import annotations

from bench import archive_reading, cold_start, import_requests, project_digest


def test_every_cold_start_run_of_make_bench_answers_its_expected_status() -> None:
    measured = cold_start.measure(rounds=1)
    assert {function.function_id for function in measured.functions} == {
        "CreateImportFunction",
        "ListImportsFunction",
        "GetImportFunction",
        "UpdateImportFunction",
        "DeleteImportFunction",
        "RefreshImportFunction",
        "GrantImportUploadFunction",
        "ListImportFilesFunction",
        "GetImportFileFunction",
        "GetImportContextFunction",
        "GetProjectContextFunction",
        "GithubWebhookFunction",
    }


def test_make_benchs_archive_reading_reads_each_archive_it_builds() -> None:
    small = (
        archive_reading.ArchiveShape("bench check", text_files=30, text_bytes=512, asset_files=2, asset_bytes=4096),
    )

    (row,) = archive_reading.measure(small, rounds=1)

    # 30 sources, 2 assets and the 4 files the policy keeps (a manifest, a Dockerfile, a workflow, a README).
    assert (row.entries, row.kept) == (36, 4)
    assert row.seconds > 0
    assert row.tar_seconds > 0


def test_make_benchs_import_requests_are_flat_whatever_the_repositorys_size() -> None:
    small, larger = import_requests.measure((10, 300))

    assert (small.files, small.kept, larger.files, larger.kept) == (10, 4, 300, 4)
    for measured in (small, larger):
        # A token narrowed to each repository, the tarball's redirect, the archive.
        name = measured.github[1].split("/")[3]
        assert measured.github[0].startswith("POST /app/installations/")
        assert measured.github[1:] == [f"GET /repos/username/{name}/tarball", "GET codeload"]
        assert name == f"bench-{measured.files}"
        assert measured.dynamodb == ["Query", "GetItem", "TransactWriteItems", "BatchGetItem", "TransactWriteItems"]
        # The kept files' one pack, one per 1,000 listed paths, kept.json and the manifest.
        assert measured.s3 == ["PutObject"] * (1 + 1 + 2)


def test_make_benchs_project_digest_reads_flat_dynamodb_and_s3_only_for_what_it_shows() -> None:
    one, one_bounded, three, three_bounded = project_digest.measure((1, 3))

    # The session and project; the imports; their one installation; its installer's link.
    for row in (one, one_bounded, three, three_bounded):
        assert row.dynamodb == ["BatchGetItem", "Query", "BatchGetItem", "GetItem"]
    # Each import's list of kept files, then its 4 kept files, in its one pack.
    assert (one.s3_gets, three.s3_gets) == (2, 6)
    # max_tokens holds one import: the first whole, then the next window's two lists, to find they do not fit.
    assert (one_bounded.s3_gets, three_bounded.s3_gets) == (2, 4)
    assert three_bounded.markdown_bytes < three.markdown_bytes
