"""The local stack's moto patches: queries read one partition, transactions copy
only what they touch, and both still answer exactly as moto (and DynamoDB) would."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from local import motoserver

REGION = "us-east-1"
TABLE = "patched"


@pytest.fixture
def ddb() -> Iterator[Any]:
    motoserver.patch_moto()  # raises MotoVersionError on any other moto
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
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
                    "IndexName": "gsi",
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
        yield client


class Visits:
    """Counts the items moto's query considers (what ``Table.all_items`` hands it)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        inner = Table.all_items

        def counted(table: Table) -> list[Any]:
            items = inner(table)
            self.count += len(items)
            return items

        monkeypatch.setattr(Table, "all_items", counted)


def put(client: Any, pk: str, sk: str, **extra: str) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": sk}} | {k: {"S": v} for k, v in extra.items()}
    client.put_item(TableName=TABLE, Item=item)


def fill(client: Any, start: int, count: int) -> None:
    """Items in other partitions: some in other index partitions, some not indexed."""
    for n in range(start, start + count):
        extra = {"gpk": f"cold-{n % 7}", "gsk": f"{n:06d}"} if n % 2 else {}
        put(client, f"other-{n % 13}", f"{n:06d}", **extra)


def gsi_page(client: Any, **kwargs: Any) -> dict[str, Any]:
    response: dict[str, Any] = client.query(
        TableName=TABLE,
        IndexName="gsi",
        KeyConditionExpression="gpk = :p AND gsk >= :s",
        ExpressionAttributeValues={":p": {"S": "hot"}, ":s": {"S": "0"}},
        **kwargs,
    )
    return response


def test_index_and_table_queries_visit_one_partition_whatever_the_table_size(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(20):
        put(ddb, "hot-pk", f"{n:03d}", gpk="hot", gsk=f"{n:03d}")
    visits = Visits(monkeypatch)
    seen: list[int] = []
    for total in (200, 2000):
        fill(ddb, len(seen) * 200, total - len(seen) * 200)
        visits.count = 0
        items = gsi_page(ddb)["Items"]
        table_items = ddb.query(
            TableName=TABLE,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "hot-pk"}},
        )["Items"]
        assert [i["gsk"]["S"] for i in items] == [f"{n:03d}" for n in range(20)]
        assert [i["sk"]["S"] for i in table_items] == [f"{n:03d}" for n in range(20)]
        seen.append(visits.count)
    assert seen[0] == seen[1] == 40  # 20 through the index, 20 in the table's partition


def test_index_follows_updates_deletes_and_pagination(ddb: Any) -> None:
    fill(ddb, 0, 50)
    for n in range(6):
        put(ddb, f"p{n}", "x", gpk="hot", gsk=f"{n}")
    ddb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "p1"}, "sk": {"S": "x"}},
        UpdateExpression="SET gpk = :c",
        ExpressionAttributeValues={":c": {"S": "cold"}},
    )
    ddb.update_item(
        TableName=TABLE,
        Key={"pk": {"S": "p2"}, "sk": {"S": "x"}},
        UpdateExpression="REMOVE gsk",
    )
    ddb.delete_item(TableName=TABLE, Key={"pk": {"S": "p3"}, "sk": {"S": "x"}})
    put(ddb, "p6", "x", gpk="hot", gsk="6")  # new
    ddb.update_item(  # created by an update
        TableName=TABLE,
        Key={"pk": {"S": "p7"}, "sk": {"S": "x"}},
        UpdateExpression="SET gpk = :h, gsk = :s",
        ExpressionAttributeValues={":h": {"S": "hot"}, ":s": {"S": "7"}},
    )
    first = gsi_page(ddb, Limit=2, ScanIndexForward=False)
    second = gsi_page(
        ddb, Limit=10, ScanIndexForward=False, ExclusiveStartKey=first["LastEvaluatedKey"]
    )
    order = [i["pk"]["S"] for i in first["Items"] + second["Items"]]
    assert order == ["p7", "p6", "p5", "p4", "p0"]


def test_cancelled_transaction_rolls_back_and_copies_only_what_it_names(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(ddb, 0, 300)
    put(ddb, "a", "x", gpk="hot", gsk="1", v="old")
    put(ddb, "c", "x", gpk="hot", gsk="3")
    copies = 0
    inner = Item.__deepcopy__

    def counted(item: Item, memo: dict[int, Any]) -> Item:
        nonlocal copies
        copies += 1
        return inner(item, memo)

    monkeypatch.setattr(Item, "__deepcopy__", counted)
    key = {"sk": {"S": "x"}}
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "a"}} | key,
                        "UpdateExpression": "SET v = :n, gpk = :c",
                        "ExpressionAttributeValues": {":n": {"S": "new"}, ":c": {"S": "cold"}},
                    }
                },
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": "b"}, "gpk": {"S": "hot"}, "gsk": {"S": "2"}} | key,
                    }
                },
                {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "c"}} | key}},
                {
                    "ConditionCheck": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": "nobody"}} | key,
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )
    # moto's own roll-back deep-copies all 302 items; the patch copies the 4 it names
    # (plus the one moto's update copies for its stream record).
    assert copies <= 5
    a = ddb.get_item(TableName=TABLE, Key={"pk": {"S": "a"}} | key)["Item"]
    assert a["v"] == {"S": "old"} and a["gpk"] == {"S": "hot"}
    assert "Item" not in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "b"}} | key)
    assert "Item" in ddb.get_item(TableName=TABLE, Key={"pk": {"S": "c"}} | key)
    assert [i["pk"]["S"] for i in gsi_page(ddb)["Items"]] == ["a", "c"]

    ddb.transact_write_items(  # and a transaction that succeeds still writes everything
        TransactItems=[
            {
                "Put": {
                    "TableName": TABLE,
                    "Item": {"pk": {"S": "b"}, "gpk": {"S": "hot"}, "gsk": {"S": "2"}} | key,
                }
            },
            {"Delete": {"TableName": TABLE, "Key": {"pk": {"S": "c"}} | key}},
        ]
    )
    assert [i["pk"]["S"] for i in gsi_page(ddb)["Items"]] == ["a", "b"]


def _signed_post(connection: http.client.HTTPConnection, target: str) -> tuple[int, str, str]:
    body = b"{}"
    connection.request(
        "POST",
        "/",
        body=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": target,
            "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/"
            "dynamodb/aws4_request, SignedHeaders=host, Signature=0",
        },
    )
    response = connection.getresponse()
    return response.status, response.getheader("Connection") or "", response.read().decode()


def test_the_server_keeps_connections_open_and_counts_requests_by_operation() -> None:
    server = motoserver.LocalMotoServer("127.0.0.1", 0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        connection = http.client.HTTPConnection(host, port, timeout=10)
        answers = [_signed_post(connection, "DynamoDB_20120810.ListTables") for _ in range(3)]
        socket_used = connection.sock
        answers.append(_signed_post(connection, "DynamoDB_20120810.ListTables"))
        assert connection.sock is socket_used  # one connection served every request
        assert [(status, header) for status, header, _ in answers] == [(200, "")] * 4
        assert all('"TableNames"' in body for _, _, body in answers)
        connection.request("GET", motoserver.STATS_PATH)
        stats = json.loads(connection.getresponse().read())
        assert stats["dynamodb.ListTables"] == 4
        connection.close()
    finally:
        server.stop()


def test_items_come_back_exactly_as_stored_with_every_attribute_type(ddb: Any) -> None:
    """Items are answered in their stored wire form (without the per-attribute shape
    walk): every type, nested and binary included, comes back as it was put."""
    item = {
        "pk": {"S": "types"},
        "sk": {"S": "é\u2028"},
        "n": {"N": "12.5"},
        "yes": {"BOOL": True},
        "nothing": {"NULL": True},
        "ss": {"SS": ["x", "y"]},
        "ns": {"NS": ["1", "2"]},
        "bin": {"B": b"\x00\xffbytes"},
        "bs": {"BS": [b"a", b"b"]},
        "m": {"M": {"s": {"S": "x"}, "l": {"L": [{"N": "1"}, {"M": {}}, {"B": b"in"}]}}},
        "gpk": {"S": "types"},
        "gsk": {"S": "1"},
    }
    ddb.put_item(TableName=TABLE, Item=item)
    key = {"pk": item["pk"], "sk": item["sk"]}
    assert ddb.get_item(TableName=TABLE, Key=key)["Item"] == item
    queried = ddb.query(
        TableName=TABLE,
        IndexName="gsi",
        KeyConditionExpression="gpk = :p",
        ExpressionAttributeValues={":p": {"S": "types"}},
    )
    assert queried["Items"] == [item]
    batch = ddb.batch_get_item(RequestItems={TABLE: {"Keys": [key]}})
    assert batch["Responses"][TABLE] == [item]
    updated = ddb.update_item(
        TableName=TABLE,
        Key=key,
        UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )
    assert updated["Attributes"] == {**item, "n": {"N": "13.5"}}
