"""The local moto server's fast path answers DynamoDB exactly as moto's stock path.

Each scenario is played three times on a fresh moto: through the middleware with
the fast path; with it off (moto's Flask app and ``setup_class``, over the patched
internals); and in a child process with moto not patched at all. The answers are
compared byte for byte: status line, every header (but the random request id) and
body. The fast path must also really have answered (the stock app never saw the
request).
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws
from moto.dynamodb.models import DynamoDBBackend
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import EnvironBuilder

from local import motoserver

REGION = "us-east-1"
TABLE = "things"
AUTHORIZATION = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/dynamodb/aws4_request, "
    "SignedHeaders=host;x-amz-date;x-amz-target, Signature=0"
)

Answer = tuple[str, list[tuple[str, str]], bytes]
Step = tuple[str, dict[str, Any] | Callable[[list[Answer]], dict[str, Any]]]


class Server:
    """The middleware over a moto app that counts the requests it is handed."""

    def __init__(self, fast: bool) -> None:
        inner = DomainDispatcherApplication(create_backend_app)
        self.stock_calls = 0

        def counted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            self.stock_calls += 1
            return inner(environ, start_response)

        self.app = motoserver.SerialisedDynamoDB(counted, fast=fast)

    def call(self, target: str, body: dict[str, Any] | bytes, **headers: str) -> Answer:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent: dict[str, str] = {
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": target,
            "Authorization": AUTHORIZATION,
            "User-Agent": "Boto3/1.40 md/Botocore#1.40 ua/2.1 os/linux",
            **headers,
        }
        environ = EnvironBuilder(
            method="POST",
            path="/",
            base_url="http://127.0.0.1:5000",
            data=data,
            headers=list(sent.items()),
        ).get_environ()
        answer: dict[str, Any] = {}

        def start_response(status: str, response_headers: list[tuple[str, str]], *_: Any) -> None:
            answer["status"], answer["headers"] = status, response_headers

        try:
            content = b"".join(self.app(environ, start_response))
        except Exception as error:  # what the HTTP server would answer with a 500
            return "raised", [], f"{type(error).__name__}: {error}".encode()
        request_ids = [v for k, v in answer["headers"] if k == "x-amzn-requestid"]
        assert len(request_ids) == 1 and len(request_ids[0]) == 52
        headers_seen = [(k, v) for k, v in answer["headers"] if k != "x-amzn-requestid"]
        return answer["status"], headers_seen, content


def ddb(operation: str) -> str:
    return f"DynamoDB_20120810.{operation}"


TABLE_DEFINITION = {
    "TableName": TABLE,
    "KeySchema": [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ],
    "AttributeDefinitions": [
        {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gpk", "gsk")
    ],
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "gsi",
            "KeySchema": [
                {"AttributeName": "gpk", "KeyType": "HASH"},
                {"AttributeName": "gsk", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ],
    "BillingMode": "PAY_PER_REQUEST",
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
}


def item(pk: str, sk: str, **extra: Any) -> dict[str, Any]:
    attrs = {k: ({"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in extra.items()}
    return {"pk": {"S": pk}, "sk": {"S": sk}} | attrs


SETUP: list[Step] = [
    (ddb("CreateTable"), TABLE_DEFINITION),
    *[
        (
            ddb("PutItem"),
            {"TableName": TABLE, "Item": item("a", f"{n:02d}", gpk="hot", gsk=f"{n:02d}", n=n)},
        )
        for n in range(5)
    ],
    (ddb("PutItem"), {"TableName": TABLE, "Item": item("b", "x", gpk="cold", gsk="1", v=1)}),
]


def play(fast: bool, probes: list[Step]) -> tuple[list[Answer], int]:
    """The probes' answers on a fresh moto holding SETUP, and how many requests
    (setup included) reached moto's stock app."""
    with mock_aws():
        server = Server(fast)
        answers: list[Answer] = []
        for target, body in SETUP:
            status, _, content = server.call(target, body)  # type: ignore[arg-type]
            assert status == "200 OK", content
        for target, body in probes:
            answers.append(server.call(target, body(answers) if callable(body) else body))
        return answers, server.stock_calls


def play_unpatched(probes: list[tuple[str, dict[str, Any]]]) -> list[Answer]:
    """``play`` in a process where moto is not patched (run by ``UnpatchedMoto``)."""
    assert not getattr(DynamoDBBackend, "_local_patched", False)
    answers, _ = play(False, list(probes))
    return answers


PLAYER = """
import json, sys
from tests.e2e.test_local_moto_fast import play_unpatched
for line in sys.stdin:
    answers = play_unpatched([tuple(probe) for probe in json.loads(line)])
    print(json.dumps([[s, h, c.decode("latin-1")] for s, h, c in answers]), flush=True)
"""


class UnpatchedMoto:
    """A child process playing scenarios on moto as released (no patch at all)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", PLAYER],
            cwd=motoserver.REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def answers(self, probes: list[tuple[str, dict[str, Any]]]) -> list[Answer]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(probes) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the unpatched moto process died"
        return [
            (status, [(k, v) for k, v in headers], content.encode("latin-1"))
            for status, headers, content in json.loads(line)
        ]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def unpatched() -> Iterator[UnpatchedMoto]:
    player = UnpatchedMoto()
    try:
        yield player
    finally:
        player.close()


@pytest.fixture(autouse=True)
def patched() -> Iterator[None]:
    motoserver.patch_moto()  # raises MotoVersionError on any other moto
    yield


def assert_same_as_stock(unpatched: UnpatchedMoto, probes: list[Step]) -> list[Answer]:
    fast, stock_calls_fast = play(True, probes)
    stock, stock_calls = play(False, probes)
    assert stock_calls == len(SETUP) + len(probes)  # the stock run went through Flask
    assert stock_calls_fast == 0  # every request of the fast run took the fast path
    concrete = [  # bodies computed from earlier answers, as the fast run computed them
        (target, body(fast[:number]) if callable(body) else body)
        for number, (target, body) in enumerate(probes)
    ]
    released = unpatched.answers(concrete)
    for number, (ours, theirs, moto_as_released) in enumerate(
        zip(fast, stock, released, strict=True)
    ):
        assert ours == theirs, f"probe {number}: {probes[number][0]}"
        assert ours == moto_as_released, f"probe {number} against unpatched moto"
    return fast


def body_of(answer: Answer) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(answer[2])
    return parsed


def test_get_item_hit_and_miss(unpatched: UnpatchedMoto) -> None:
    hit, miss, projected = assert_same_as_stock(
        unpatched,
        [
            (ddb("GetItem"), {"TableName": TABLE, "Key": item("a", "01")}),
            (ddb("GetItem"), {"TableName": TABLE, "Key": item("a", "99")}),
            (
                ddb("GetItem"),
                {
                    "TableName": TABLE,
                    "Key": item("a", "02"),
                    "ProjectionExpression": "#n, gsk",
                    "ExpressionAttributeNames": {"#n": "n"},
                    "ReturnConsumedCapacity": "TOTAL",
                },
            ),
        ],
    )
    assert body_of(hit)["Item"]["n"] == {"N": "1"}
    assert body_of(miss) == {}
    assert body_of(projected)["Item"] == {"n": {"N": "2"}, "gsk": {"S": "02"}}


def test_put_item_failing_condition_returns_the_old_item(unpatched: UnpatchedMoto) -> None:
    (failed, plain_failure) = assert_same_as_stock(
        unpatched,
        [
            (
                ddb("PutItem"),
                {
                    "TableName": TABLE,
                    "Item": item("b", "x", v=2),
                    "ConditionExpression": "attribute_not_exists(pk) OR v = :two",
                    "ExpressionAttributeValues": {":two": {"N": "2"}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                },
            ),
            (
                ddb("PutItem"),
                {
                    "TableName": TABLE,
                    "Item": item("b", "x", v=3),
                    "ConditionExpression": "attribute_not_exists(pk) OR v = :two",
                    "ExpressionAttributeValues": {":two": {"N": "5"}},
                },
            ),
        ],
    )
    assert failed[0] == "400 BAD REQUEST"
    error = body_of(failed)
    assert error["__type"].endswith("#ConditionalCheckFailedException")
    assert error["Item"]["v"] == {"N": "1"}
    assert "Item" not in body_of(plain_failure)


def test_update_item_all_new_then_the_same_expression_with_other_values(
    unpatched: UnpatchedMoto,
) -> None:
    update = "SET #v = :v, note = :note ADD hits :one REMOVE gone"
    first, second = assert_same_as_stock(
        unpatched,
        [
            (
                ddb("UpdateItem"),
                {
                    "TableName": TABLE,
                    "Key": item("b", "x"),
                    "UpdateExpression": update,
                    "ConditionExpression": "attribute_exists(pk) AND #v < :v",
                    "ExpressionAttributeNames": {"#v": "v"},
                    "ExpressionAttributeValues": {
                        ":v": {"N": "7"},
                        ":note": {"S": "first"},
                        ":one": {"N": "1"},
                    },
                    "ReturnValues": "ALL_NEW",
                },
            ),
            (
                ddb("UpdateItem"),
                {
                    "TableName": TABLE,
                    "Key": item("new", "y"),
                    "UpdateExpression": update,
                    "ExpressionAttributeNames": {"#v": "v"},
                    "ExpressionAttributeValues": {
                        ":v": {"N": "8"},
                        ":note": {"S": "second"},
                        ":one": {"N": "1"},
                    },
                    "ReturnValues": "UPDATED_NEW",
                },
            ),
        ],
    )
    assert body_of(first)["Attributes"]["v"] == {"N": "7"}
    assert body_of(first)["Attributes"]["hits"] == {"N": "1"}
    assert body_of(second)["Attributes"]["note"] == {"S": "second"}


def test_query_on_an_index_paginates_with_last_evaluated_key(unpatched: UnpatchedMoto) -> None:
    query = {
        "TableName": TABLE,
        "IndexName": "gsi",
        "KeyConditionExpression": "gpk = :p AND gsk >= :s",
        "ExpressionAttributeValues": {":p": {"S": "hot"}, ":s": {"S": "01"}},
        "ScanIndexForward": False,
        "Limit": 2,
    }
    first, second, table = assert_same_as_stock(
        unpatched,
        [
            (ddb("Query"), query),
            (
                ddb("Query"),
                lambda answers: query
                | {"ExclusiveStartKey": body_of(answers[0])["LastEvaluatedKey"]},
            ),
            (
                ddb("Query"),
                {
                    "TableName": TABLE,
                    "KeyConditionExpression": "pk = :p AND begins_with(sk, :s)",
                    "FilterExpression": "n > :one",
                    "ExpressionAttributeValues": {
                        ":p": {"S": "a"},
                        ":s": {"S": "0"},
                        ":one": {"N": "1"},
                    },
                },
            ),
        ],
    )
    assert [i["gsk"]["S"] for i in body_of(first)["Items"]] == ["04", "03"]
    assert body_of(first)["LastEvaluatedKey"]["gsk"] == {"S": "03"}
    assert [i["gsk"]["S"] for i in body_of(second)["Items"]] == ["02", "01"]
    assert [i["n"]["N"] for i in body_of(table)["Items"]] == ["2", "3", "4"]


def test_batch_get_item_answers_hits_and_leaves_out_misses(unpatched: UnpatchedMoto) -> None:
    (answer,) = assert_same_as_stock(
        unpatched,
        [
            (
                ddb("BatchGetItem"),
                {
                    "RequestItems": {
                        TABLE: {
                            "Keys": [item("a", "00"), item("zz", "none"), item("b", "x")],
                            "ProjectionExpression": "pk, sk, v",
                        }
                    }
                },
            )
        ],
    )
    assert sorted(i["pk"]["S"] for i in body_of(answer)["Responses"][TABLE]) == ["a", "b"]


def test_cancelled_transaction_gives_its_cancellation_reasons(unpatched: UnpatchedMoto) -> None:
    (cancelled,) = assert_same_as_stock(
        unpatched,
        [
            (
                ddb("TransactWriteItems"),
                {
                    "TransactItems": [
                        {"Put": {"TableName": TABLE, "Item": item("t", "1", v=1)}},
                        {
                            "ConditionCheck": {
                                "TableName": TABLE,
                                "Key": item("nobody", "x"),
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        },
                        {
                            "Update": {
                                "TableName": TABLE,
                                "Key": item("b", "x"),
                                "UpdateExpression": "SET v = :v",
                                "ConditionExpression": "v = :old",
                                "ExpressionAttributeValues": {":v": {"N": "9"}, ":old": {"N": "4"}},
                                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                            }
                        },
                    ]
                },
            )
        ],
    )
    error = body_of(cancelled)
    assert error["__type"].endswith("#TransactionCanceledException")
    codes = [reason["Code"] for reason in error["CancellationReasons"]]
    assert codes == ["None", "ConditionalCheckFailed", "ConditionalCheckFailed"]


def test_validation_errors_and_an_unknown_table_answer_as_moto(unpatched: UnpatchedMoto) -> None:
    answers = assert_same_as_stock(
        unpatched,
        [
            (  # a value the expression never uses
                ddb("UpdateItem"),
                {
                    "TableName": TABLE,
                    "Key": item("b", "x"),
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "1"}, ":unused": {"N": "2"}},
                },
            ),
            (  # a syntax error in a condition
                ddb("PutItem"),
                {
                    "TableName": TABLE,
                    "Item": item("c", "x"),
                    "ConditionExpression": "pk = = :x",
                    "ExpressionAttributeValues": {":x": {"S": "x"}},
                },
            ),
            (  # a placeholder with no value (after the same text was parsed once)
                ddb("PutItem"),
                {
                    "TableName": TABLE,
                    "Item": item("c", "y"),
                    "ConditionExpression": "attribute_not_exists(pk) OR v = :two",
                },
            ),
            (ddb("GetItem"), {"TableName": "nowhere", "Key": item("a", "01")}),
            (
                ddb("Query"),
                {
                    "TableName": TABLE,
                    "IndexName": "nope",
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": {"S": "a"}},
                },
            ),
            (ddb("DescribeTable"), {"TableName": "nowhere"}),
            (ddb("ListTables"), {}),
        ],
    )
    validation, syntax, missing, unknown, bad_index, unknown_describe, listed = answers
    assert body_of(validation)["__type"].endswith("#ValidationException")
    assert syntax[0] == "raised"  # moto 5.2.1 answers this syntax error with a 500
    assert missing == ("raised", [], b"KeyError: ':two'")  # moto's answer: a 500
    assert body_of(unknown)["__type"].endswith("#ResourceNotFoundException")
    assert bad_index[0].startswith("400")
    assert unknown_describe[0].startswith("400")
    assert body_of(listed) == {"TableNames": [TABLE]}


def test_binary_values_are_decoded_as_moto_decodes_them(unpatched: UnpatchedMoto) -> None:
    blob = base64.b64encode(b"\x00\xffbin").decode()
    put, got = assert_same_as_stock(
        unpatched,
        [
            (ddb("PutItem"), {"TableName": TABLE, "Item": item("bin", "1") | {"b": {"B": blob}}}),
            (ddb("GetItem"), {"TableName": TABLE, "Key": item("bin", "1")}),
        ],
    )
    assert put[0] == "200 OK"
    assert body_of(got)["Item"]["b"] == {"B": blob}


def test_streams_requests_answer_as_moto(unpatched: UnpatchedMoto) -> None:
    streams = "DynamoDBStreams_20120810."
    answers = assert_same_as_stock(
        unpatched,
        [
            (streams + "ListStreams", {"TableName": "nowhere"}),
            (
                streams + "DescribeStream",
                {"StreamArn": "arn:aws:dynamodb:us-east-1:1:table/x/stream/y"},
            ),
            (streams + "GetRecords", {"ShardIterator": "not-an-iterator"}),
        ],
    )
    assert body_of(answers[0]) == {"Streams": []}


def test_requests_it_does_not_reproduce_take_the_stock_path() -> None:
    with mock_aws():
        server = Server(fast=True)
        server.call(ddb("ListTables"), {}, Origin="http://example.test")  # CORS answer differs
        server.call(ddb("ListTables"), b"")  # moto reads headers as parameters
        server.call(ddb("ListTables"), {"ExclusiveStartTableName": "Action=x"})
        assert server.stock_calls == 3
        server.call(ddb("ListTables"), {})
        assert server.stock_calls == 3


def test_botocore_reads_the_fast_answers() -> None:
    """Through a real server and boto3: the errors a caller relies on arrive whole."""
    server = motoserver.LocalMotoServer("127.0.0.1", 0)
    server.start()
    try:
        client = boto3.client(
            "dynamodb",
            region_name=REGION,
            endpoint_url=server.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}),
        )
        client.create_table(**TABLE_DEFINITION)
        client.put_item(TableName=TABLE, Item=item("a", "1", v=1))
        with pytest.raises(client.exceptions.ConditionalCheckFailedException) as failed:
            client.put_item(
                TableName=TABLE,
                Item=item("a", "1", v=2),
                ConditionExpression="attribute_not_exists(pk)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        assert failed.value.response["Item"]["v"] == {"N": "1"}
        with pytest.raises(client.exceptions.TransactionCanceledException) as cancelled:
            client.transact_write_items(
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": TABLE,
                            "Key": item("none", "1"),
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    }
                ]
            )
        reasons = cancelled.value.response["CancellationReasons"]
        assert [r["Code"] for r in reasons] == ["ConditionalCheckFailed"]
        with pytest.raises(client.exceptions.ResourceNotFoundException):
            client.get_item(TableName="nowhere", Key=item("a", "1"))
        assert client.get_item(TableName=TABLE, Key=item("a", "1"))["Item"]["v"] == {"N": "1"}
    finally:
        server.stop()


CONDITIONS = [
    "attribute_not_exists(pk)",
    "attribute_exists(pk) AND #v < :v",
    "(#v = :v OR begins_with(sk, :p)) AND NOT contains(tags, :t)",
    "#m.#k = :v AND size(tags) > :n",
    "v BETWEEN :lo AND :hi",
    "v IN (:lo, :hi, :v)",
    "attribute_type(v, :type) AND sk <> :p",
    "list[1] = :v",
]


def _evaluate(parse: Callable[[Any], Any], expression: str, values: dict[str, Any]) -> Any:
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models.dynamo_type import DynamoType, Item

    names = {"#v": "v", "#m": "m", "#k": "k"}
    parser = ConditionExpressionParser(expression, names, values)
    try:
        op = parse(parser)
    except Exception as error:
        return type(error).__name__, str(error)
    items = [
        None,
        Item(DynamoType({"S": "a"}), None, {"pk": {"S": "a"}, "sk": {"S": "p1"}, "v": {"N": "3"}}),
        Item(
            DynamoType({"S": "a"}),
            None,
            {
                "pk": {"S": "a"},
                "sk": {"S": "x"},
                "v": {"N": "9"},
                "tags": {"SS": ["t1", "t2"]},
                "m": {"M": {"k": {"N": "9"}}},
                "list": {"L": [{"N": "1"}, {"N": "9"}]},
            },
        ),
    ]
    return (
        [op.expr(i) for i in items],
        parser.expr_attr_names_found,
        parser.expr_attr_values_found,
    )


@pytest.mark.parametrize("expression", CONDITIONS)
def test_a_cached_condition_evaluates_as_a_fresh_parse(expression: str) -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser

    uncached = ConditionExpressionParser._local_uncached_parse  # type: ignore[attr-defined]
    value_sets = [
        {":v": {"N": "3"}, ":p": {"S": "p"}, ":t": {"S": "t1"}, ":n": {"N": "1"}},
        {":v": {"N": "9"}, ":p": {"S": "x"}, ":t": {"S": "zz"}, ":n": {"N": "5"}},
    ]
    for values in value_sets:
        values |= {":lo": {"N": "2"}, ":hi": {"N": "4"}, ":type": {"S": "N"}}
        used = {k: v for k, v in values.items() if k in expression}
        for _ in range(2):  # the first parse fills the cache, the second reads it
            assert _evaluate(ConditionExpressionParser.parse, expression, used) == _evaluate(
                uncached, expression, used
            )
        missing = dict(list(used.items())[1:])  # one placeholder without a value
        assert _evaluate(ConditionExpressionParser.parse, expression, missing) == _evaluate(
            uncached, expression, missing
        )


HEADER_BLOCKS = [
    b"Host: 127.0.0.1:5000\r\nAccept-Encoding: identity\r\nX-Amz-Target: DynamoDB_20120810.GetItem\r\n"
    b"Content-Type: application/x-amz-json-1.0\r\nAuthorization: AWS4-HMAC-SHA256 Credential=a/b\r\n"
    b"Content-Length: 52\r\n\r\n",
    b"Host: x\r\nX-Empty:\r\nX-Spaces:   padded value  \r\nX-Tab:\tv\r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n",
    b"Host: x\n\n",  # bare line feeds
    b"Host: x\r\n",  # no blank line: the connection ended
    b"Host: x\r\nX-Folded: one\r\n two\r\n\r\n",  # continuation line
    b"Host: x\r\nNot a header\r\nX-After: y\r\n\r\n",  # a line that is no header
    b"From nobody\r\nHost: x\r\n\r\n",  # mbox envelope line
    b"Host: x\r\nX-Odd: a\rb\r\n\r\n",  # bare carriage return inside a value
    b"Host: x\r\nContent-Type: multipart/form-data; boundary=zz\r\n\r\n",
    b"Host: x\r\nContent-Type: message/rfc822\r\n\r\n",
    b"Host: \xe9t\xe9\r\nX-Latin: caf\xe9\r\n\r\n",
    b"\r\n",  # no headers at all
]


@pytest.mark.parametrize("block", HEADER_BLOCKS)
def test_request_headers_are_read_as_the_email_parser_reads_them(block: bytes) -> None:
    import http.client
    import io
    from email.message import Message

    from local.moto_fast import parse_headers

    def state(value: Any) -> Any:  # a message as plain data, nested messages too
        if isinstance(value, Message):
            return type(value).__name__, {k: state(v) for k, v in vars(value).items()}
        if isinstance(value, list):
            return [state(v) for v in value]
        return repr(value) if isinstance(value, Exception) else value

    ours = parse_headers(io.BytesIO(block + b"BODY"))
    theirs = http.client.parse_headers(io.BytesIO(block + b"BODY"))
    assert state(ours) == state(theirs)
    assert list(ours.items()) == list(theirs.items())
