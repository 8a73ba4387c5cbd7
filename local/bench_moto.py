"""moto's CPU per DynamoDB request on the local stack's server, at 100k stored items.

Run as ``python -m local.bench_moto [--items N] [--requests N]``: starts the moto
server the stack runs (a child process, ``local.motoserver.LocalMotoServer``),
bulk-loads a table with a secondary index, then times, one kind at a time, the
requests an IM send is made of: GetItem, a conditional PutItem, an UpdateItem
answering ALL_NEW and a Query on the index. It reads the server process's CPU
time (user + system, from ``/proc``) before and after each kind and prints the
milliseconds per request as JSON. Set ``LOCAL_MOTO_FAST=0`` to measure moto's
stock request path (no fast path) for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from typing import Any

import boto3
import requests
from botocore.config import Config

from local.motoserver import SEED_PATH, LocalMotoServer

REGION = "us-east-1"
TABLE = "bench"
CHUNK = 2000
PARTITIONS = 5000  # table partitions: 20 items each at 100k
INDEX_PARTITIONS = 500  # index partitions: 200 items each at 100k


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _item(n: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"P#{n % PARTITIONS:05d}"},
        "sk": {"S": f"M#{n:08d}"},
        "gpk": {"S": f"G#{n % INDEX_PARTITIONS:04d}"},
        "gsk": {"S": f"{n:08d}"},
        "body": {"S": f"message number {n} with a little text in it"},
        "seq": {"N": str(n)},
        "meta": {"M": {"sender": {"S": "u1"}, "tags": {"SS": ["a", "b"]}}},
    }


def _create(client: Any) -> None:
    client.create_table(
        TableName=TABLE,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gpk", "gsk")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gpk", "KeyType": "HASH"},
                    {"AttributeName": "gsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def _requests(client: Any, items: int) -> dict[str, Callable[[int], Any]]:
    def get_item(n: int) -> Any:
        return client.get_item(
            TableName=TABLE, Key={k: _item(n * 7 % items)[k] for k in ("pk", "sk")}
        )

    def put_conditional(n: int) -> Any:
        return client.put_item(
            TableName=TABLE,
            Item=_item(items + n) | {"client_id": {"S": f"c{n}"}},
            ConditionExpression="attribute_not_exists(pk) AND attribute_not_exists(sk)",
        )

    def update_all_new(n: int) -> Any:
        return client.update_item(
            TableName=TABLE,
            Key={k: _item(n * 11 % items)[k] for k in ("pk", "sk")},
            UpdateExpression="SET #b = :b, seen = :t ADD read_count :one",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={"#b": "body"},
            ExpressionAttributeValues={
                ":b": {"S": f"edited {n}"},
                ":t": {"N": str(n)},
                ":one": {"N": "1"},
            },
            ReturnValues="ALL_NEW",
        )

    def query_index(n: int) -> Any:
        return client.query(
            TableName=TABLE,
            IndexName="gsi1",
            KeyConditionExpression="gpk = :p AND gsk > :s",
            ExpressionAttributeValues={
                ":p": {"S": f"G#{n % INDEX_PARTITIONS:04d}"},
                ":s": {"S": "0"},
            },
            ScanIndexForward=False,
            Limit=20,
        )

    return {
        "GetItem": get_item,
        "PutItem (conditional)": put_conditional,
        "UpdateItem (ALL_NEW)": update_all_new,
        "Query (index, 20 items)": query_index,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--only", default="", help="time only the kinds whose name has this")
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    server = LocalMotoServer("127.0.0.1", 0)
    server.start()
    try:
        assert server._process is not None
        pid = server._process.pid
        print(f"moto server pid {pid}", flush=True)
        client = boto3.client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=server.url,
            config=Config(retries={"max_attempts": 1}),
        )
        _create(client)
        for first in range(0, args.items, CHUNK):
            chunk = [_item(n) for n in range(first, min(first + CHUNK, args.items))]
            response = requests.post(
                server.url + SEED_PATH,
                json={"region": REGION, "table": TABLE, "items": chunk},
                timeout=120,
            )
            response.raise_for_status()
        result: dict[str, float] = {}
        for name, call in _requests(client, args.items).items():
            if args.only not in name:
                continue
            for n in range(20):  # warm: connections, caches
                call(10_000_000 + n)
            print(f"timing {name}", flush=True)
            cpu, wall = _cpu_seconds(pid), time.perf_counter()
            for n in range(args.requests):
                call(n)
            result[name] = round((_cpu_seconds(pid) - cpu) * 1000 / args.requests, 3)
            result[name + " wall"] = round((time.perf_counter() - wall) * 1000 / args.requests, 3)
        print(json.dumps({"items": args.items, "ms_cpu_per_request": result}, indent=2))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
