"""`make bench`: the figures the Foundation issue asks for, measured in one run.

0. First and second request of a fresh process, with the graph built at Lambda
   init and (for comparison) lazily on the first request.
1. Import time of ``app.py`` in a fresh interpreter against bare ``boto3`` (the
   Lambda cold-start share that is ours), as a ratio.
2. The Lambda package ``chalice package`` builds: zipped and unzipped size.
3. What one IM send to a recipient with two connected devices costs end to end:
   DynamoDB, SNS and SQS requests (and DynamoDB capacity units as moto reports
   them), and WebSocket posts, per stage of the path.
4. The web client: JavaScript size, and the longest task measured in Chromium while
   a 1,000-conversation account scrolls (tests/browser/test_scale.py on its own stack;
   ``BENCH_WEB_SCROLL=0`` leaves it out).
5. Search (``local.bench_search``): query latency over 100,000 indexed messages,
   send → searchable lag on the local stack, AWS requests and cost per 1M searches
   and messages indexed, the package share of search (``BENCH_SEARCH=0`` skips it).
6. Web Push (``local.bench_push``): send → push request on the local stack (p50, p95),
   and what Web Push adds to the Lambda package (``BENCH_PUSH=0`` skips it).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from local import web

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def _import_seconds(statement: str) -> float:
    env = {**os.environ, "AWS_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], cwd=ROOT, env=env, check=True)
    return time.perf_counter() - start


def import_times() -> dict[str, float]:
    """Median wall time of a fresh interpreter importing each, minus an empty interpreter."""
    samples: dict[str, list[float]] = {"empty": [], "boto3": [], "app": []}
    for _ in range(RUNS):  # interleaved, so machine noise hits all three alike
        samples["empty"].append(_import_seconds("pass"))
        samples["boto3"].append(_import_seconds("import boto3"))
        samples["app"].append(_import_seconds("import app"))
    empty = statistics.median(samples["empty"])
    return {
        "boto3_s": statistics.median(samples["boto3"]) - empty,
        "app_s": statistics.median(samples["app"]) - empty,
    }


def package_size() -> dict[str, Any]:
    """Build the Lambda package as deployment would and measure it."""
    chalice = Path(sys.executable).with_name("chalice")
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}
        result = subprocess.run(
            [str(chalice), "package", "--stage", "dev", out],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            return {"error": (result.stderr or result.stdout).strip().splitlines()[-1:]}
        archive = Path(out) / "deployment.zip"
        with zipfile.ZipFile(archive) as zf:
            unzipped = sum(info.file_size for info in zf.infolist())
            files = len(zf.infolist())
        return {"zipped_bytes": archive.stat().st_size, "unzipped_bytes": unzipped, "files": files}


class _Meter:
    """Counts every AWS API call botocore makes, and DynamoDB capacity units."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.capacity: dict[str, float] = {}

    def install(self) -> None:
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        meter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            if service == "dynamodb" and operation not in ("DescribeTable",):
                params = {**params, "ReturnConsumedCapacity": "TOTAL"}
            response = original(client, operation, params)
            meter.calls[f"{service}:{operation}"] += 1
            consumed = response.get("ConsumedCapacity") if isinstance(response, dict) else None
            for entry in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
                key = f"{service}:{operation}"
                meter.capacity[key] = meter.capacity.get(key, 0.0) + float(
                    entry.get("CapacityUnits", 0)
                )
            return response

        botocore.client.BaseClient._make_api_call = counted

    @contextmanager
    def installed(self) -> Iterator[_Meter]:
        """Counting while inside; botocore as it was after."""
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        self.install()
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = original

    def take(self) -> dict[str, Any]:
        snapshot = {"requests": dict(self.calls), "capacity_units": dict(self.capacity)}
        self.calls.clear()
        self.capacity = {}
        return snapshot


def send_cost() -> dict[str, Any]:
    """One IM from alice to bob, bob on two devices, through the whole event path."""
    from local import environment

    environment.use_in_process_moto()
    import boto3
    from moto import mock_aws

    with mock_aws():
        from chalicelib import bootstrap
        from chalicelib.adapters.aws import ApiGatewayConnectionSender, SnsEventPublisher
        from chalicelib.adapters.idempotency import PowertoolsDeduplicator
        from chalicelib.services.common import Caller
        from local.inprocess import EventPath
        from local.motoserver import patch_moto
        from local.provision import provision
        from tests.support import KEYS, create_im, seed_people, send, settings, verifier

        patch_moto()

        provided = provision(boto3.session.Session(region_name="us-east-1"), "texting-test")
        config = settings()
        management = boto3.client(
            "apigatewaymanagementapi",
            region_name="us-east-1",
            endpoint_url="https://bench.execute-api.us-east-1.amazonaws.com/dev",
        )
        services = bootstrap.bootstrap(
            config,
            publisher=SnsEventPublisher(provided["topics"]["events"]),
            sender=ApiGatewayConnectionSender("", client=management),
            verifier=verifier(),
            idempotency=PowertoolsDeduplicator(config.idempotency_table, 3600),
        )
        bootstrap.use(services)
        seed_people(services.adapters.directory)
        for connection in ("bob-phone", "bob-desk"):
            services.connections.connect(connection, KEYS.token("u-bob"))
        alice = Caller("u-alice", "acme")
        conversation, _ = create_im(services.conversations, alice, ["u-bob"])
        path = EventPath.for_prefix("texting-test")
        path.run_outbox()
        path.run_realtime()

        # one send first, so per-container caches (the company's settings) are warm, as
        # they are for every send but a container's first
        send(services.conversations, alice, conversation["id"], "bench-0", "warm-up")
        path.run_outbox()
        path.run_realtime()
        meter = _Meter()
        meter.install()
        services.directory.user("u-alice")  # what the authorizer looks up (cached 5 min by API GW)
        stages = {"authorizer (uncached)": meter.take()}
        send(services.conversations, alice, conversation["id"], "bench-1", "hello bob")
        stages["send request"] = meter.take()
        path.run_outbox()
        stages["outbox (stream → SNS)"] = meter.take()
        path.run_realtime()
        stages["fan-out (SQS → devices)"] = meter.take()
        bootstrap.use(None)
        return stages


def cold_start(lazy: bool) -> dict[str, Any]:
    """A fresh process: init, first and second request (``local.bench_cold``)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "local.bench_cold", *(["--lazy"] if lazy else [])]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def contact_center() -> dict[str, Any]:
    """``local.bench_cc`` in a fresh interpreter (its own moto)."""
    return _fresh("local.bench_cc")


def search() -> dict[str, Any]:
    """``local.bench_search`` in a fresh interpreter (its own engine, moto and stack)."""
    return _fresh("local.bench_search")


def _print_search(figures: dict[str, Any]) -> None:
    query, lag, cost, package = (figures[k] for k in ("query", "lag", "cost", "package"))
    print(
        f"   query over {query['documents']:,} messages on the local stack's engine"
        f" ({query.get('engine', '?')}): p50 {query['p50_ms']} ms,"
        f" p95 {query['p95_ms']} ms (goal p95 <= 100 ms)"
    )
    for engine, of_engine in query.get("engines", {}).items():
        shapes = ", ".join(
            f"{shape} {f['p50_ms']}/{f['p95_ms']}" for shape, f in of_engine["shapes"].items()
        )
        print(
            f"     {engine}: p50/p95 ms {shapes}; supervisor (ranges)"
            f" {of_engine['with_ranges_p50_ms']}/{of_engine['with_ranges_p95_ms']};"
            f" widest scope {of_engine.get('widest_scope_p50_ms')}/"
            f"{of_engine.get('widest_scope_p95_ms')};"
            f" {of_engine['indexed_per_s']} messages/s indexed"
        )
    if "same_hits" in query:
        print(f"     same hits on both engines: {query['same_hits']} queries")
    print(f"   send -> searchable: p50 {lag['p50_ms']} ms, p95 {lag['p95_ms']} ms (goal <= 2 s)")
    for engine, of_engine in lag.get("engines", {}).items():
        print(f"     {engine}: p50 {of_engine['p50_ms']} ms, p95 {of_engine['p95_ms']} ms")
    print(
        f"   one search: {json.dumps(cost['search_aws_requests'])} + 1 engine request;"
        f" ${cost['usd_per_1m_searches']} per 1M searches"
    )
    print(
        f"   indexing: no AWS request per batch beyond its invocation, 1 engine request;"
        f" ${cost['usd_per_1m_indexed_full_batches']} per 1M messages in full batches,"
        f" ${cost['usd_per_1m_indexed_one_per_batch']} one message a batch;"
        f" domain (t3.small) ${cost['domain_usd_per_month_t3_small']} a month"
    )
    if "error" not in package:
        print(
            f"   package: {package['unzipped_bytes'] / 1e6:.1f} MB unzipped, of which search"
            f" modules {package['search_modules_bytes'] / 1e3:.0f} KB, new dependencies 0"
        )


def webpush() -> dict[str, Any]:
    """``local.bench_push`` in a fresh interpreter (its own local stack)."""
    return _fresh("local.bench_push")


def _print_webpush(figures: dict[str, Any]) -> None:
    lag, package = figures["lag"], figures["package"]
    print(
        f"   send -> push request (local simulator): p50 {lag['p50_ms']} ms,"
        f" p95 {lag['p95_ms']} ms over {lag['samples']} messages"
    )
    if "error" not in package:
        print(
            f"   package: {package['unzipped_bytes'] / 1e6:.1f} MB unzipped, of which Web Push"
            f" modules {package['webpush_modules_bytes'] / 1e3:.0f} KB, new dependencies 0"
            " (goal: growth <= 3 MB)"
        )


def web_scroll() -> dict[str, Any]:
    """tests/browser/test_scale.py run once; it writes its figures where we ask."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "scroll.json"
        env = {**os.environ, "WEB_SCROLL_REPORT": str(report)}
        command = [sys.executable, "-m", "pytest", "tests/browser/test_scale.py"]
        result = subprocess.run(
            [*command, "-n", "0", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        if not report.exists():
            return {"error": (result.stdout + result.stderr).strip()[-1500:]}
        figures: dict[str, Any] = json.loads(report.read_text())
        if result.returncode != 0:
            figures["error"] = "the scale test failed: " + result.stdout.strip()[-500:]
        return figures


def main() -> None:
    print("== a fresh Lambda process: first and second request (GET /conversations)")
    for lazy in (False, True):
        f = cold_start(lazy)
        label = "graph built at init (Lambda)" if not lazy else "graph built on first request"
        print(
            f"   {label}: init {f['init_s'] * 1000:.0f} ms, first {f['first_request_s'] * 1000:.0f}"
            f" ms, second {f['second_request_s'] * 1000:.0f} ms, first/second {f['ratio']:.1f}"
        )
    print("== import time (fresh interpreter, median of", RUNS, "runs, minus an empty one)")
    times = import_times()
    print(
        f"   boto3: {times['boto3_s'] * 1000:.0f} ms   app.py: {times['app_s'] * 1000:.0f} ms"
        f"   ratio app/boto3: {times['app_s'] / times['boto3_s']:.2f}"
    )
    print("== Lambda package (chalice package --stage dev)")
    size = package_size()
    if "error" in size:
        print("   could not build:", size["error"])
    else:
        print(
            f"   zipped: {size['zipped_bytes'] / 1e6:.1f} MB   unzipped: "
            f"{size['unzipped_bytes'] / 1e6:.1f} MB   files: {size['files']}"
        )
    print("== web client JavaScript (web/dist; goal: employee app <= 50 KB gzipped)")
    bundle = web.bundle_sizes()
    if "error" in bundle:
        print("   could not measure:", bundle["error"])
    else:
        app = bundle["employee_app"]
        print(
            f"   employee app: {app['gzip'] / 1024:.1f} KB gzipped ({app['raw'] / 1024:.1f} KB raw)"
        )
        for name, figures in bundle["lazy"].items():
            print(f"   lazy {name}: {figures['gzip'] / 1024:.1f} KB gzipped")
        if "service_worker" in bundle:
            worker = bundle["service_worker"]
            print(
                f"   service worker (sw.js): {worker['gzip'] / 1024:.1f} KB gzipped"
                f" ({worker['raw'] / 1024:.1f} KB raw)"
            )
    if os.environ.get("BENCH_WEB_SCROLL", "1") != "0":
        print("== web client: scrolling 1,000 conversations in Chromium (goal: no task > 50 ms)")
        scroll = web_scroll()
        if "longest_task_ms" not in scroll:
            print("   could not measure:", scroll.get("error"))
        else:
            print(
                f"   longest task {scroll['longest_task_ms']} ms"
                f" ({scroll['long_tasks_over_50_ms']} over 50 ms); longest frame gap"
                f" {scroll['longest_frame_gap_ms']} ms; {scroll['scroll_ms'] / 1000:.1f} s to"
                f" the oldest; at most {scroll['most_rows_in_dom']} rows in the DOM"
            )
            if "error" in scroll:
                print("  ", scroll["error"])
    if os.environ.get("BENCH_SEARCH", "1") != "0":
        print("== search (local engine, moto, the local stack)")
        _print_search(search())
    if os.environ.get("BENCH_PUSH", "1") != "0":
        print("== Web Push (the local stack and its simulator push service)")
        _print_webpush(webpush())
    print("== one IM send to a recipient with two connected devices")
    stages = send_cost()
    totals: Counter[str] = Counter()
    for stage, figures in stages.items():
        print(f"   {stage}:")
        for call, count in sorted(figures["requests"].items()):
            units = figures["capacity_units"].get(call)
            extra = f"  ({units:g} capacity units)" if units else ""
            print(f"      {call:45s} {count}{extra}")
            totals[call.split(":")[0]] += count
    print("   totals by service:", json.dumps(dict(totals)))
    print("== contact center (moto in-process)")
    cc = contact_center()
    for part, label in (
        ("inbound", "inbound text to a channel"),
        ("routing", "routing it"),
        ("offer_event", "its offer event (outbox)"),
    ):
        operations = cc["per_operation"][part]
        calls = ", ".join(f"{k} {v}" for k, v in sorted(operations.items()))
        print(f"   {label}: {sum(operations.values())} requests ({calls})")
    print(f"   requests per routed text: {cc['requests']}")
    print(
        f"   burst of {cc['burst']} texts, 3 agents: {cc['offered']} offered; inbound → offer"
        f" p50 {cc['p50_ms']:.0f} ms, p95 {cc['p95_ms']:.0f} ms"
        f" ({cc['cpu_ms_per_text']:.0f} ms CPU per text, load average {cc['load_average']:.1f})"
    )
    print("== contact-center reports (moto in-process)")
    print("\n".join(_fresh("local.bench_reports")["lines"]))


def _fresh(module: str) -> dict[str, Any]:
    """``python -m module`` in a fresh interpreter (its own moto); its last line's JSON."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", module]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    main()
