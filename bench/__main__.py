"""`make bench`: prints one table; each figure the median of several runs, ratios taken pair by pair."""

from __future__ import annotations

import os
import platform

from bench import (
    archive_reading,
    artifact,
    cold_start,
    cost,
    growth,
    import_requests,
    project_digest,
    requests_per_outcome,
    token_counting,
    warm,
)


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            cpu = next(line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def main() -> None:
    os.environ.update(cold_start.handler_environment())
    print(f"Machine: {_machine()}\n")

    print("1. DynamoDB requests per outcome (budgets: docs/http-contract.md)")
    for outcome in requests_per_outcome.measure():
        sent = " + ".join(outcome.requests) or "-"
        print(f"   {outcome.name:<44} {outcome.status}  {len(outcome.requests)}  {sent}")

    cold = cold_start.measure()
    print(
        f"\n2. Cold start: fresh processes, median of {cold.rounds} rounds run alternately "
        "(goal: each function <= 1.25x floor in time, <= 1.15x in memory)"
    )
    print(f"   {'':<52}{'wall time':>10}{'peak RSS':>13}{'/ floor':>10}{'/ bare':>8}")
    references = [("floor: import resolver + pydantic, boto3 client", cold.floor)]
    references.append(("bare route: floor + our body model, one request", cold.bare))
    for label, run in references:
        print(f"   {label:<52}{run.seconds:>8.3f} s{run.peak_rss_mib:>9.1f} MiB")
    for function in cold.functions:
        label = f"{function.function_id}: import, one request"
        ratios = f"{function.time_ratio:>5.2f}x/{function.memory_ratio:.2f}x{function.time_ratio_to_bare:>7.2f}x"
        print(f"   {label:<52}{function.run.seconds:>8.3f} s{function.run.peak_rss_mib:>9.1f} MiB {ratios}")

    overhead = warm.measure()
    print(
        f"\n3. Warm overhead: CPU time per create, median of {overhead.blocks} alternating blocks "
        f"of {overhead.requests_per_block} (goal: <= 2x the bare route)"
    )
    print(f"   handler (lambda_handler), in-memory store        {overhead.handler_microseconds:>8.0f} us")
    print(f"   bare Powertools route, same body model           {overhead.bare_microseconds:>8.0f} us")
    print(f"   handler / bare route (median of pairs)           {overhead.ratio:>8.2f}x")
    print("   the handler, part by part (adding up to it):")
    for label, microseconds in overhead.parts():
        print(f"     {label:<47}{microseconds:>8.0f} us")

    built = artifact.measure()
    print(f"\n4. Artifact: sam build output, unzipped: {built.total_mib:.1f} MiB; largest:")
    for name, mib in built.largest:
        print(f"   {name:<28}{mib:>7.1f} MiB")

    _print_costs(len(cold.functions), cold.functions[0].run.seconds)
    _print_growth()
    _print_archive_reading()
    _print_import_requests()
    _print_token_counting()
    _print_project_digest()


def _print_costs(functions: int, create_cold_start_seconds: float) -> None:
    measured = cost.measure_on_dynamodb_local()
    prices = cost.PRICES
    if isinstance(measured, str):
        print(f"\n5. Cost: not measured ({measured})")
        return
    print(
        f"\n5. Cost per million requests, USD, {prices.region} on-demand prices; units: as DynamoDB Local "
        f"reported them; RRU/WRU: billed, computed by bench/billing.py; "
        f"duration: median of {cost.ROUNDS} on DynamoDB Local"
    )
    names = ["API Gateway", "Lambda requests", "Lambda duration", "DynamoDB", "total"]
    print(f"   {'route':<26}{'units':>6}{'RRU':>5}{'WRU':>5}{'ms':>7}" + "".join(f"{name:>17}" for name in names))
    for route in measured:
        row = route.per_million()
        units = f"{route.reported_units:>6.1f}{route.read_units:>5.0f}{route.write_units:>5.0f}"
        figures = f"{units}{route.milliseconds:>7.1f}"
        print(f"   {route.route:<26}{figures}" + "".join(f"{row[name]:>17.3f}" for name in names))
    print(
        f"   SnapStart (opt-in): {cost.snapstart_month(functions):.2f} a month to keep {functions} functions cached "
        f"at {cost.MEMORY_GB:.0f} GB, plus {cost.snapstart_per_thousand_restores():.3f} per 1,000 cold starts; "
        f"the create's measured cold start here: {create_cold_start_seconds:.3f} s"
    )


def _print_growth() -> None:
    rows = cost.lines_on_dynamodb_local("bench.growth", "growth")
    if isinstance(rows, str):
        print(f"\n6. Growth: not measured ({rows})")
        return
    print(
        "\n6. Growth: per call as the data grows, on DynamoDB Local, billed as bench/billing.py says "
        f"(ms: median of {growth.TIMED_ROUNDS})"
    )
    print(f"   {'call':<36}{'N':>7}{'status':>7}{'requests':>9}{'items':>7}{'KB read':>9}{'RRU':>7}{'WRU':>7}{'ms':>8}")
    for row in (growth.Growth(**line) for line in rows):
        figures = f"{row.size:>7}{row.status:>7}{row.requests:>9}{row.items_read:>7}{row.bytes_read / 1024:>9.1f}"
        print(f"   {row.call:<36}{figures}{row.read_units:>7.1f}{row.write_units:>7.1f}{row.milliseconds:>8.1f}")


def _print_archive_reading() -> None:
    print(
        f"\n7. Reading an archive (the importer's core: policy, hashes, secret scan) against tar -xzf of the "
        f"same archive, median of {archive_reading.ROUNDS} rounds (goal: within 3x, memory flat)"
    )
    print(
        f"   {'archive':<18}{'MiB':>7}{'entries':>9}{'kept':>6}{'read s':>9}{'tar s':>8}{'/ tar':>7}"
        f"{'peak RSS':>10}{'growth':>9}"
    )
    for row in archive_reading.measure():
        figures = f"{row.archive_mib:>7.1f}{row.entries:>9}{row.kept:>6}{row.seconds:>9.3f}{row.tar_seconds:>8.3f}"
        memory = f"{row.peak_rss_mib:>6.1f} MiB{row.rss_growth_mib:>5.1f} MiB"
        print(f"   {row.label:<18}{figures}{row.time_ratio:>6.2f}x{memory}")


def _print_import_requests() -> None:
    print(
        "\n8. Requests per import, by repository size: the pipeline in one process (moto, make run's GitHub "
        "stand-in), counted (goal: GitHub and DynamoDB flat; S3 one per 4 MiB pack of kept files and per 1,000 "
        "paths, plus 2)"
    )
    print(f"   {'files':>8}{'kept':>6}{'GitHub':>8}{'DynamoDB':>10}{'S3':>5}")
    rows = import_requests.measure()
    for row in rows:
        print(f"   {row.files:>8}{row.kept:>6}{len(row.github):>8}{len(row.dynamodb):>10}{len(row.s3):>5}")
    first = rows[0]
    print(f"   GitHub:   {', '.join(first.github)}")
    print(f"   DynamoDB: {' + '.join(first.dynamodb)}; S3: {' + '.join(sorted(set(first.s3)))}")


def _print_token_counting() -> None:
    counted = token_counting.measure()
    print(f"\n9. Token counts (o200k_base, as the worker counts): fresh processes, median of {token_counting.ROUNDS}")
    load = f"{counted.load_seconds:>8.3f} s  +{counted.load_rss_mib:.0f} MiB"
    print(f"   loading the encoding (once per environment)       {load}")
    print(
        f"   the budget: {counted.budget_mib:.1f} MiB, {counted.budget_files:,} files, {counted.budget_tokens:,} tokens"
        f"   {counted.budget_seconds:>8.3f} s"
    )
    print(f"   1 MiB of one letter (one BPE piece)               {counted.one_letter_seconds:>8.3f} s")
    print(f"   1 MiB of spaces (counted in slices)               {counted.spaces_seconds:>8.3f} s")


def _print_project_digest() -> None:
    print(
        "\n10. The project's digest, by completed imports (each 4 kept files of 24 listed): its handler on moto "
        f"in one process, counted, median of {project_digest.ROUNDS} (goal: DynamoDB flat; S3 1 + 1 a pack, "
        f"only for the imports it shows); modelled: each GET {project_digest.ROUND_TRIP_SECONDS * 1000:.0f} ms longer"
    )
    print(f"   {'imports':>8}{'max_tokens':>12}{'DynamoDB':>10}{'S3 GETs':>9}{'bytes':>9}{'time':>10}{'modelled':>11}")
    rows = project_digest.measure()
    for row in rows:
        bound = "-" if row.max_tokens is None else f"{row.max_tokens:,}"
        print(
            f"   {row.imports:>8}{bound:>12}{len(row.dynamodb):>10}{row.s3_gets:>9}{row.markdown_bytes:>9,}"
            f"{row.median_seconds * 1000:>8.1f} ms{row.modelled_seconds * 1000:>8.1f} ms"
        )
    print(f"   DynamoDB: {' + '.join(rows[0].dynamodb)}")


if __name__ == "__main__":
    main()
