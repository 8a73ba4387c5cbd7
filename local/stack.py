"""``python -m local.stack`` (``make dev``): the whole system on one machine, no AWS account.

What it starts, in order:

1. a moto server (DynamoDB + Streams, SNS, SQS, Cognito, S3) on ``--moto-port``;
2. the resources of ``chalicelib.resources`` in it (``local.provision``);
3. a Cognito pool with demo users and the demo directory (``local.demo``);
4. one HTTP port (``--port``) emulating API Gateway: REST, WebSocket and the
   WebSocket Management API (``local.gateway``), invoking the real Chalice app;
5. pollers feeding the queue and stream consumers (``local.pollers``), in a
   child process of their own (``local.consumers``), as Lambda runs them apart
   from the API.

When all of that serves, it writes ``<state-dir>/stack.json`` (contract.md,
"Local stack") and prints the URLs and demo logins. Ctrl-C or SIGTERM stops
everything it started and exits 0; a busy port, or a moto other than the one its
patches were written for (``local.motoserver``), exits 2 with a one-line error; if
the consumers' process dies on its own, the stack says so, stops and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import importlib
import json
import logging
import os
import signal
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # ``app`` lives at the repository root
    sys.path.insert(0, str(REPO_ROOT))

from aiohttp import web  # noqa: E402

from local import environment  # noqa: E402
from local.logs import app_logs_to_stderr, configure_logging  # noqa: E402
from local.moto_fast import MotoVersionError, require_moto_version  # noqa: E402
from local.motoserver import LocalMotoServer  # noqa: E402

log = logging.getLogger("local.stack")

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MOTO_PORT = 5000
DEFAULT_STATE_DIR = ".local"
STATE_FILE = "stack.json"
LAMBDA_THREADS = 32
TWILIO_SECRET_NAME = "texting/local/twilio"  # as infra names a stage's: texting/{stage}/twilio
VAPID_SECRET_NAME = "texting/local/vapid"
VAPID_PUBLIC_KEY_PARAMETER = "/texting/local/webpush-public-key"


class PortInUse(Exception):
    """A port given on the command line cannot be bound."""

    def __init__(self, port: int, option: str) -> None:
        super().__init__(f"port {port} is already in use; pass {option}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m local.stack", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="REST, WebSocket and simulator port (0: pick a free one)",
    )
    parser.add_argument(
        "--moto-port",
        type=int,
        default=DEFAULT_MOTO_PORT,
        help="moto (local AWS) port (0: pick a free one)",
    )
    parser.add_argument(
        "--state-dir", default=DEFAULT_STATE_DIR, help="where stack.json is written (git-ignored)"
    )
    return parser.parse_args(argv)


def listening_socket(port: int, option: str) -> socket.socket:
    """Bind the port now, so a busy port is reported before anything starts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        if error.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUse(port, option) from None
        raise
    return sock


def start_moto(port: int) -> LocalMotoServer:
    if port:
        listening_socket(port, "--moto-port").close()  # a clear error instead of werkzeug's
    server = LocalMotoServer(HOST, port)
    try:
        server.start()
    except OSError:
        raise PortInUse(port, "--moto-port") from None
    return server


@dataclass
class Stack:
    """Everything the stack started, so ``stop`` can stop exactly that."""

    state_file: Path
    state_inode: int | None = None  # of the file this stack wrote; never delete another's
    moto: LocalMotoServer | None = None
    executor: ThreadPoolExecutor | None = None
    runner: web.AppRunner | None = None
    consumers: Any = None  # local.consumers.ConsumersProcess
    search: Any = None  # local.search_engine.LocalSearch
    failed: bool = False  # a part stopped on its own: the stack exits non-zero

    @property
    def faults(self) -> _ConsumerFaults:
        return _ConsumerFaults(self)

    async def stop(self) -> None:
        """In the order that lets each part finish its work: the pollers first, while
        the gateway still takes the posts of the batches they are handling (closed
        first, it left those posts hanging until their timeouts); then the gateway,
        whose WebSockets' ``$disconnect`` still reach moto; moto last."""
        with contextlib.suppress(FileNotFoundError):
            if self.state_file.stat().st_ino == self.state_inode:
                self.state_file.unlink()
        if self.consumers is not None:
            code = await asyncio.to_thread(self.consumers.stop)
            if code != 0:
                log.error("the consumers exited with %s", code)
        if self.runner is not None:
            await self.runner.cleanup()  # closes WebSockets; their $disconnect still runs
        if self.executor is not None:
            self.executor.shutdown(wait=True, cancel_futures=True)
        if self.search is not None:
            self.search.stop()
        if self.moto is not None:
            self.moto.stop()
            log.info("stopped")


class _ConsumerFaults:
    """Fault injection for the consumers' process, once it runs (``local.gateway``)."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def _running(self) -> Any:
        if self._stack.consumers is None:
            raise RuntimeError("the consumers are not running yet")
        return self._stack.consumers

    def kill(self, function: str) -> None:
        self._running().kill(function)

    def armed(self, function: str) -> bool:
        return bool(self._running().armed(function))


async def watch_consumers(stack: Stack, stopping: asyncio.Event) -> None:
    """The consumers' process must not die unnoticed (every frame, push and missed
    count would silently stop): if it exits while the stack runs, say so and stop the
    stack, which then exits 1."""
    code = await asyncio.to_thread(stack.consumers.wait)
    if not stack.consumers.stopping and not stopping.is_set():
        log.error("the consumers' process exited with %s; stopping the stack", code)
        stack.failed = True
        stopping.set()


def _stack_json(rest_url: str, ws_url: str, moto_url: str, demo: dict[str, Any]) -> dict[str, Any]:
    return {
        "rest_url": rest_url,
        "ws_url": ws_url,
        "aws_endpoint_url": moto_url,
        "region": environment.REGION,
        "cognito": demo["cognito"],
        "simulator_url": f"{rest_url}/_sim",
        "users": demo["users"],
        "companies": demo["companies"],
        "numbers": demo["numbers"],
        "providers": demo["providers"],
        "contact_center": demo["contact_center"],
    }


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Atomically, so a reader never sees half a file; readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(state, out, indent=2)
        out.write("\n")
    os.replace(tmp, path)


def print_summary(state: dict[str, Any], state_file: Path) -> None:
    lines = [
        "",
        "Local stack is ready.",
        f"  REST       {state['rest_url']}",
        f"  WebSocket  {state['ws_url']}?token=<IdToken>",
        f"  AWS (moto) {state['aws_endpoint_url']}",
        f"  Simulator  {state['simulator_url']}",
        f"  Web client {state['web_url']}",
        f"  Details    {state_file}",
        "",
        "Demo logins (USER_PASSWORD_AUTH on the Cognito client in the details file):",
    ]
    company_names = {c["company_id"]: c["name"] for c in state["companies"]}
    for user in state["users"]:
        numbers = ", ".join(user["numbers"]) or "-"
        lines.append(
            f"  {user['username']:<8} {user['password']}  "
            f"{company_names[user['company_id']]} ({user['role']}; numbers: {numbers})"
        )
    center = state.get("contact_center")
    if center:
        channel = center["channels"][0]["e164"]
        lines += [
            "",
            f"Contact center: text {channel} from a simulated phone, e.g.",
            f"  curl -X POST {state['simulator_url']}/phones/+14155559999/send "
            f'-H \'Content-Type: application/json\' -d \'{{"to": "{channel}", "text": "help"}}\'',
            f"  agents {', '.join(center['agents'])} (start offline: PUT /agent/status "
            '{"status": "available"}), then GET /interactions, POST /interactions/{id}/accept; '
            f"supervisor {', '.join(center['supervisors'])}: GET /queues/{{queue_id}}/stats",
        ]
    lines += ["", "Ctrl-C stops the stack.", ""]
    print("\n".join(lines), flush=True)


async def start(args: argparse.Namespace, stack: Stack) -> dict[str, Any]:
    """Start everything; returns the stack.json content."""
    import boto3

    from chalicelib import resources
    from local import consumers, demo, gateway, provision, simulator
    from local import web as web_client

    http_socket = listening_socket(args.port, "--port")
    port = http_socket.getsockname()[1]
    try:
        stack.moto = start_moto(args.moto_port)
    except BaseException:
        http_socket.close()
        raise
    moto_url = stack.moto.url
    environment.use_local_aws(moto_url)
    environment.wide_connection_pools()
    log.info("moto serving on %s", moto_url)

    session = boto3.session.Session()
    prefix = resources.DEFAULT_PREFIX
    created = await asyncio.to_thread(provision.provision, session, prefix)
    log.info(
        "provisioned %d table(s), %d topic(s), %d queue(s)",
        len(created["tables"]),
        len(created["topics"]),
        len(created["queues"]),
    )
    demo_state = await asyncio.to_thread(
        demo.seed,
        session,
        table_name=created["tables"][resources.MESSAGING_TABLE.logical],
        region=environment.REGION,
        pool_name=f"{prefix}-users",
        media_bucket=created["buckets"].get(resources.MEDIA_BUCKET.logical, ""),
    )
    pool_id = demo_state["cognito"]["user_pool_id"]
    rest_url = f"http://{HOST}:{port}"
    environment.use_app_settings(
        prefix=prefix,
        events_topic_arn=created["topics"][resources.EVENTS_TOPIC.logical],
        websocket_management_url=rest_url,
        user_pool_id=pool_id,
        client_id=demo_state["cognito"]["client_id"],
        jwks_url=f"{moto_url}/{pool_id}/.well-known/jwks.json",
    )
    twilio = demo_state["providers"]["twilio"]
    # The app reads the credentials from a Secrets Manager secret, as on AWS (a test
    # rotates them there); the real Twilio adapter talks to the simulator's
    # Twilio-compatible API, and the simulator signs its webhooks for this URL,
    # exactly as Twilio would.
    twilio["secret_name"] = TWILIO_SECRET_NAME
    await asyncio.to_thread(
        provision.store_secret,
        session,
        TWILIO_SECRET_NAME,
        {"account_sid": twilio["account_sid"], "auth_token": twilio["auth_token"]},
    )
    # Web Push: a VAPID key made at each start, kept in its secret and its public key
    # in its parameter, as on AWS; the simulator's push service is accepted as an
    # endpoint here only.
    from chalicelib.adapters.webpush_crypto import new_vapid_secret

    vapid = new_vapid_secret()
    await asyncio.to_thread(provision.store_secret, session, VAPID_SECRET_NAME, vapid)
    await asyncio.to_thread(
        provision.store_parameter, session, VAPID_PUBLIC_KEY_PARAMETER, vapid["public_key"]
    )
    os.environ.update(
        {
            "TWILIO_SECRET_NAME": TWILIO_SECRET_NAME,
            "TWILIO_API_BASE_URL": f"{rest_url}/_sim/twilio",
            "PUBLIC_API_BASE_URL": rest_url,
            "WEBPUSH_VAPID_SECRET_NAME": VAPID_SECRET_NAME,
            "WEBPUSH_PUBLIC_KEY_PARAMETER": VAPID_PUBLIC_KEY_PARAMETER,
            "WEBPUSH_LOCAL_ENDPOINT": f"{rest_url}/_sim/push/",
        }
    )

    from local import search_engine

    stack.search = await asyncio.to_thread(search_engine.start, prefix, None, args.state_dir)
    if stack.search is not None:
        log.info("search engine serving on %s", stack.search.endpoint)

    app_module = importlib.import_module("app")
    app_logs_to_stderr()
    from chalicelib.bootstrap import services

    stack.executor = ThreadPoolExecutor(max_workers=LAMBDA_THREADS, thread_name_prefix="lambda")
    await asyncio.get_running_loop().run_in_executor(stack.executor, services)

    api = gateway.Gateway(
        chalice_app=app_module.app,
        connect=app_module.ws_connect,
        message=app_module.ws_message,
        disconnect=app_module.ws_disconnect,
        executor=stack.executor,
        consumer_faults=stack.faults,
    )
    web_app = api.web_app()
    simulator.register_simulator(
        web_app,
        account_sid=twilio["account_sid"],
        auth_token=twilio["auth_token"],
        webhook_base_url=rest_url,
    )
    ws_url = f"ws://{HOST}:{port}/ws"
    web_path = web_client.register_web(
        web_app,
        web_client.client_config(
            rest_url=rest_url,
            ws_url=ws_url,
            region=environment.REGION,
            cognito=demo_state["cognito"],
            cognito_endpoint=moto_url,
            search=stack.search is not None,
        ),
    )
    stack.runner = web.AppRunner(
        web_app,
        access_log_class=gateway.AccessLogger,
        handle_signals=False,
        shutdown_timeout=5.0,
        max_line_size=gateway.PARSER_LINE_BYTES,  # the gateway answers API Gateway's 414
    )
    await stack.runner.setup()
    await web.SockSite(stack.runner, http_socket).start()
    log.info("API Gateway emulation serving on %s", rest_url)

    sources = {
        "queue_urls": created["queues"],
        "queue_arns": created["queue_arns"],
        "stream_arns": created["streams"],
    }
    started = consumers.ConsumersProcess(sources, environment.REGION)
    try:
        await asyncio.to_thread(started.start)
    finally:
        stack.consumers = started  # stopped with the rest, whatever happened
    log.info("consumers polling in process %s", stack.consumers.pid)
    return {**_stack_json(rest_url, ws_url, moto_url, demo_state), "web_url": rest_url + web_path}


async def serve(args: argparse.Namespace) -> int:
    state_file = Path(args.state_dir) / STATE_FILE
    with contextlib.suppress(FileNotFoundError):
        state_file.unlink()  # a stale file must never look like a ready stack
    stack = Stack(state_file=state_file)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        state = await start(args, stack)
        if stopping.is_set():  # interrupted while starting
            return 0
        watcher = asyncio.create_task(watch_consumers(stack, stopping))
        write_state(state_file, state)
        stack.state_inode = state_file.stat().st_ino
        print_summary(state, state_file)
        log.info("ready; state in %s", state_file)
        await stopping.wait()
        log.info("stopping")
    finally:
        await stack.stop()
    await watcher
    return 1 if stack.failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging()
    try:
        require_moto_version()  # before any event loop, port or process
        code = asyncio.run(serve(args))
    except (PortInUse, MotoVersionError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # a second Ctrl-C during shutdown
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
