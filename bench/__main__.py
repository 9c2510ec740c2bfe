"""`make bench`: prints one table; each figure the median of several runs, ratios taken pair by pair."""

from __future__ import annotations

import os
import platform

from bench import artifact, cold_start, requests_per_outcome, warm


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

    print("1. DynamoDB requests per outcome (budgets: README, The HTTP contract)")
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


if __name__ == "__main__":
    main()
