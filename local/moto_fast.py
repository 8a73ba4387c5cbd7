"""Patches that cut moto's cost per request, each answering exactly as moto does
(``local.motoserver`` lists them; ``tests/e2e/test_local_moto_fast.py`` compares
the answers with moto as released).

- ``FastDynamoDB`` answers a DynamoDB or DynamoDB Streams request without Flask
  and without moto's generic request set-up: it fills in the state moto's
  ``setup_class`` would (body parsed once by moto's own JSON parser, region and
  account from the SigV4 ``Authorization`` header, headers) and then calls moto's
  own ``call_action``, so the operation, its errors and their serialisation are
  moto's, byte for byte. Anything it does not recognise is left to the stock path.
- Condition expressions are lexed and parsed once per expression text; each
  request binds its own attribute names and values to the cached tree.
- Update expressions are parsed once per text (moto's validator deep-copies the
  tree before it changes anything, so the cached tree is never modified); that
  copy is made attribute by attribute, and the validator's walkers compute the
  node classes they look for once.
- Attribute values of strings, binaries and booleans are compared as they are, and
  a sort by key converts each value once (moto converted both values on every
  comparison, most of an index Query's time).
- A JSON error is built without first rendering the XML body it replaces.
- moto lists a handler class's methods (``inspect.getmembers``) on every request;
  the list is computed once per class. Request ids are drawn with one call to the
  same random generator instead of 52.
- ``parse_headers`` reads plain HTTP request headers without the e-mail parser.

Only applied by ``local.motoserver`` (``patch_moto``) and its server, and only to
the moto version they were written for (``MOTO_VERSION``): on any other
``require_moto_version`` raises ``MotoVersionError``, naming both versions.
"""

from __future__ import annotations

import functools
import re
import string
from collections import OrderedDict
from types import SimpleNamespace
from typing import Any

MOTO_VERSION = "5.2.1"  # these patches and local.motoserver's replace exactly its internals
CACHE_LIMIT = 4096  # expression texts remembered (cleared when full)

_DYNAMODB_PREFIX = "DynamoDB_20120810."
_STREAMS_PREFIX = "DynamoDBStreams_20120810."
_CONTENT_TYPES = frozenset({"application/x-amz-json-1.0"})  # what botocore sends


class MotoVersionError(RuntimeError):
    """The installed moto is not the version the local stack's patches were written for."""


def require_moto_version() -> None:
    """Raise ``MotoVersionError`` unless the installed moto is ``MOTO_VERSION``: the
    patches replace its internals, which change between releases, and a stack that
    silently ran on stock moto would hide both their fixes and their absence."""
    import moto

    installed = getattr(moto, "__version__", "unknown")
    if installed != MOTO_VERSION:
        raise MotoVersionError(
            f"moto {installed} is installed, but the local stack's moto patches were written "
            f"for moto {MOTO_VERSION}: install moto[server]=={MOTO_VERSION} "
            f"(requirements-dev.txt), or port local/motoserver.py and local/moto_fast.py "
            f"to moto {installed} and change MOTO_VERSION"
        )


class FastDynamoDB:
    """Answers DynamoDB (and Streams) requests with moto's handlers, without Flask.

    Call with the WSGI environ and the request body already read; returns None for
    any request it leaves to moto's stock path (then nothing has happened), or a
    WSGI response object to call with ``(environ, start_response)``.
    """

    def __init__(self) -> None:
        require_moto_version()
        from flask import Response
        from moto.core.responses import _decode_dict
        from moto.core.utils import get_service_model
        from moto.dynamodb.responses import DynamoHandler
        from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
        from moto.iam.models import mark_account_as_visited
        from moto.moto_api import recorder
        from moto.moto_server import werkzeug_app
        from moto.utilities.utils import get_partition
        from werkzeug.datastructures import EnvironHeaders

        self._response_cls = Response
        self._decode_dict = _decode_dict
        self._dynamodb = DynamoHandler
        self._streams = DynamoDBStreamsHandler
        self._mark_visited = mark_account_as_visited
        self._recorder = recorder
        self._werkzeug_app = werkzeug_app
        self._get_partition = get_partition
        self._headers_cls = EnvironHeaders
        model = get_service_model("dynamodb")
        self._dynamodb_model = model
        self._dynamodb_operations = frozenset(model.operation_names)
        self._streams_operations = frozenset(get_service_model("dynamodbstreams").operation_names)

    def __call__(self, environ: dict[str, Any], body: bytes | None) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target.startswith(_DYNAMODB_PREFIX):
            action, streams = target[len(_DYNAMODB_PREFIX) :], False
            if action not in self._dynamodb_operations:
                return None
        elif target.startswith(_STREAMS_PREFIX):
            action, streams = target[len(_STREAMS_PREFIX) :], True
            if action not in self._streams_operations:
                return None
        else:
            return None
        if not body or not self._plain_request(environ, body):
            return None
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return None
        handler: Any
        if streams:
            handler = self._streams()
            querystring = self._querystring(text)
            if querystring is None:
                return None
        else:
            handler = self._dynamodb()
            # moto reads the JSON body as a query string too; only "Action" and
            # "AWSAccessKeyId" there could change its answer (bodies with either go
            # the stock way), so the rest of that parse is skipped.
            querystring = {}
        self._setup(handler, environ, body, text, querystring)
        if not streams:
            handler.params = self._parse(action, body)
        handler.access_key = handler.get_access_key()
        handler.current_account = handler.get_current_account()
        self._mark_visited(
            account_id=handler.current_account,
            access_key=handler.access_key,
            service=str(handler.service_name),
            region=handler.region,
        )
        status, headers, content = handler.call_action()
        response = self._response_cls(response=content, status=status, headers=headers)
        if not self._werkzeug_app.DISABLE_GLOBAL_CORS:
            response.headers["Access-Control-Allow-Origin"] = "*"  # flask_cors, no Origin
        return response

    def _plain_request(self, environ: dict[str, Any], body: bytes) -> bool:
        """A request whose handling by moto's stock path this class reproduces:
        signed for the service (how moto routes it), to ``/`` with no query string,
        a JSON body sent as is, no CORS origin, no recording."""
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != "/":
            return False
        if environ.get("QUERY_STRING") or environ.get("HTTP_CONTENT_ENCODING"):
            return False
        if environ.get("HTTP_ORIGIN") or environ.get("CONTENT_TYPE") not in _CONTENT_TYPES:
            return False
        host = environ.get("HTTP_HOST", "")
        if not host or "amazonaws.com" in host:
            return False  # moto reads the region from such a host name
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        try:
            scope = authorization.split(",")[0].split()[1]
            _, _, _, service, _ = scope.split("/")
        except (IndexError, ValueError):
            return False
        if service.lower() != "dynamodb" or "AWS4" not in authorization:
            return False
        if b"Action=" in body or b"AWSAccessKeyId" in body:
            return False
        return not self._recorder._user_enabled

    def _querystring(self, text: str) -> dict[str, Any] | None:
        """moto's reading of a JSON body as a query string (the Streams handler looks
        its parameters up there before it parses the JSON)."""
        from urllib.parse import parse_qsl

        try:
            pairs = OrderedDict((k, [v]) for k, v in parse_qsl(text, keep_blank_values=True))
        except (UnicodeEncodeError, UnicodeDecodeError, AttributeError):
            return None
        if not pairs:
            return None
        try:
            decoded: dict[str, Any] = self._decode_dict(pairs)
        except UnicodeDecodeError:
            return pairs
        return decoded

    def _setup(
        self,
        handler: Any,
        environ: dict[str, Any],
        body: bytes,
        text: str,
        querystring: dict[str, Any],
    ) -> None:
        """What ``BaseResponse.setup_class`` sets for a werkzeug request of this kind."""
        from urllib.parse import urlparse

        full_url = f"{environ.get('wsgi.url_scheme', 'http')}://{environ['HTTP_HOST']}/"
        headers = self._headers_cls(environ)
        handler.is_werkzeug_request = True
        handler.parsed_url = urlparse(full_url)
        handler.form_data = {}
        handler.raw_body = body
        handler.body = text
        handler.uri = full_url
        handler.path = handler.raw_path = "/"
        handler.querystring = handler.data = querystring
        handler.method = "POST"
        handler.headers = headers
        handler.region = handler.get_region_from_url(SimpleNamespace(headers=headers), full_url)
        handler.partition = self._get_partition(handler.region)
        handler.uri_match = None
        handler.response_headers = {"server": "amazon.com"}

    def _parse(self, action: str, body: bytes) -> Any:
        """``BaseResponse.parse_parameters`` for a JSON request: moto's own parser."""
        from moto.core.parse import PROTOCOL_PARSERS

        operation = self._dynamodb_model.operation_model(action)
        parser = PROTOCOL_PARSERS["json"](
            operation, map_type=self._dynamodb.PROTOCOL_PARSER_MAP_TYPE
        )
        request: Any = {"body": body}  # the JSON parser reads only the body
        return parser.parse(request)


# -- expressions parsed once per text ------------------------------------------------


def _patch_update_expressions() -> None:
    from moto.dynamodb.parsing import expressions

    parser_cls: Any = expressions.UpdateExpressionParser  # type: ignore[attr-defined]
    original = parser_cls.make.__func__
    cache: dict[str, Any] = {}

    def make(cls: Any, expression_str: str) -> Any:
        if cls is not parser_cls:
            return original(cls, expression_str)
        ast = cache.get(expression_str)
        if ast is None:
            ast = original(cls, expression_str)  # raises on a bad expression: not cached
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[expression_str] = ast
        return ast

    parser_cls.make = classmethod(make)


class _Unbound(dict[str, Any]):
    """Names or values looked up while a condition's tree is built for the cache:
    every placeholder resolves, to nothing (bound per request later)."""

    def __getitem__(self, key: Any) -> Any:
        return None


class _Tree:
    """A parsed condition: its tree with placeholders unbound, and what moto reports
    as the names and values it found."""

    def __init__(self, root: Any, names: list[str], values: list[str], placeholders: list[str]):
        self.root = root
        self.names = names
        self.values = values
        self.placeholders = placeholders


def _patch_condition_expressions() -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser as Parser

    original = Parser.parse
    cache: dict[str, _Tree] = {}
    kind, nonterminal = Parser.Kind, Parser.Nonterminal

    def build(expression: str) -> _Tree:
        parser = Parser(expression, _Unbound(), _Unbound())
        nodes = parser._lex_condition_expression()
        nodes = parser._parse_paths(nodes)
        nodes = parser._apply_functions(nodes)
        nodes = parser._apply_comparator(nodes)
        nodes = parser._apply_in(nodes)
        nodes = parser._apply_between(nodes)
        nodes = parser._apply_parens_and_booleans(nodes)
        root = nodes[0]
        placeholders: list[str] = []
        stack = [root]
        while stack:
            node = stack.pop()
            if node.kind == kind.EXPRESSION_ATTRIBUTE_VALUE or _is_name(node):
                placeholders.append(node.text)
            stack.extend(node.children)
        return _Tree(
            root, parser._find_literals(root), parser._find_expr_attr_values(root), placeholders
        )

    def _is_name(node: Any) -> bool:
        return bool(
            node.kind == kind.LITERAL
            and node.nonterminal == nonterminal.IDENTIFIER
            and isinstance(node.text, str)
            and node.text.startswith("#")
        )

    def bind(node: Any, names: dict[str, Any], values: dict[str, Any]) -> Any:
        if node.kind == kind.EXPRESSION_ATTRIBUTE_VALUE:
            return node._replace(value=values[node.text])
        if _is_name(node):
            return node._replace(value=names[node.text])
        if node.children:
            return node._replace(children=[bind(c, names, values) for c in node.children])
        return node

    def parse(self: Any) -> Any:
        expression = self.condition_expression
        if not expression or not isinstance(expression, str):
            return original(self)
        tree = cache.get(expression)
        if tree is None:
            result = original(self)  # moto's parse, its errors; only a valid text is cached
            try:
                tree = build(expression)
            except Exception:  # a text moto parses with these values only: never cached
                return result
            if len(cache) >= CACHE_LIMIT:
                cache.clear()
            cache[expression] = tree
            return result
        names = self.expression_attribute_names
        values = self.expression_attribute_values
        for placeholder in tree.placeholders:
            source = names if placeholder.startswith("#") else values
            if not isinstance(source, dict) or placeholder not in source:
                return original(self)  # moto reports the missing one its own way
        root = bind(tree.root, names or {}, values or {})
        self.expr_attr_names_found.extend(tree.names)
        self.expr_attr_values_found.extend(tree.values)
        return self._make_op_condition(root)

    Parser.parse = parse  # type: ignore[method-assign]
    Parser._local_uncached_parse = original  # type: ignore[attr-defined]  # for tests


# -- per-request constants computed once ------------------------------------------


def _patch_request_constants() -> None:
    from moto.core import responses
    from moto.moto_api._internal import mock_random

    listed = functools.cache(responses.method_names_from_class)
    responses.method_names_from_class = listed

    pool = string.ascii_letters + string.digits

    def gen_amzn_requestid_long(headerdict: dict[str, Any] | None = None) -> str:
        request_id = "".join(mock_random.choices(pool, k=52))
        if headerdict is not None and isinstance(headerdict, dict):
            headerdict.update({"x-amzn-requestid": request_id})
        return request_id

    responses.gen_amzn_requestid_long = gen_amzn_requestid_long


# -- update expressions validated with less copying --------------------------------


def _patch_update_validation() -> None:
    """moto's update validator deep-copies the parsed expression (through the
    generic ``__reduce_ex__`` protocol: most of the copy's time), then walks it ten
    times, rebuilding on each node the tuple of node classes it looks for. The copy
    is made attribute by attribute, as ``copy.deepcopy`` would, and each walker's
    tuple is computed once per walker class (its keys are classes, never state)."""
    import copy

    from moto.dynamodb.parsing import ast_nodes

    node_cls: Any = ast_nodes.Node  # type: ignore[attr-defined]
    traverser_cls: Any = ast_nodes.DepthFirstTraverser  # type: ignore[attr-defined]

    atomic = (str, int, bool, type(None))

    def node_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        cls = self.__class__
        clone = cls.__new__(cls)
        memo[id(self)] = clone
        copied = {}
        for name, value in self.__dict__.items():
            if type(value) in atomic:
                copied[name] = value
            elif type(value) is list:  # a node's own children (never shared)
                copied[name] = [v if type(v) in atomic else copy.deepcopy(v, memo) for v in value]
            else:
                copied[name] = copy.deepcopy(value, memo)
        clone.__dict__.update(copied)
        return clone

    node_cls.__deepcopy__ = node_deepcopy

    looked_for: dict[type, tuple[type, ...]] = {}
    original = traverser_cls.nodes_to_be_processed

    def nodes_to_be_processed(self: Any) -> tuple[type, ...]:
        kinds = looked_for.get(type(self))
        if kinds is None:
            kinds = looked_for[type(self)] = original(self)
        return kinds

    traverser_cls.nodes_to_be_processed = nodes_to_be_processed


def _patch_json_errors() -> None:
    """Every DynamoDB error (and a missing attribute that an ADD then creates, which
    moto signals with one internally) first renders an XML body that the JSON error
    class replaces at once: the JSON error is built directly."""
    import json

    from moto.core.exceptions import JsonRESTError, _RESTError

    def init(self: Any, error_type: str, message: str, _: str = "", **kwargs: Any) -> None:
        super(_RESTError, self).__init__()
        self.error_type = error_type
        self.message = message
        self.description = json.dumps({"__type": self.error_type, "message": self.message})
        self.content_type = "application/json"

    JsonRESTError.__init__ = init  # type: ignore[method-assign]


def patch_moto_fast() -> None:
    """Install the expression caches and per-request constants (call once)."""
    require_moto_version()
    _patch_update_expressions()
    _patch_condition_expressions()
    _patch_request_constants()
    _patch_update_validation()
    _patch_json_errors()
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    _patch_key_order(DynamoType, Table)


# -- key values compared without recomputing them ---------------------------------


_KEY_TYPES = frozenset({"S", "N"})


def _patch_key_order(dynamo_type_cls: Any, table_cls: Any) -> None:
    """moto compares two attribute values by converting both (a chain of type tests,
    a ``Decimal`` for numbers) on every comparison and every hash: sorting a
    partition of an index for a Query did that thousands of times. Strings,
    binaries and booleans are their own value; for keys of strings and numbers
    only (where equal values always have equal types) a sort converts each value
    once and orders exactly as moto's comparisons do."""
    from decimal import Decimal

    slow_cast = dynamo_type_cls.cast_value.fget

    def cast_value(self: Any) -> Any:
        kind = self.type
        if kind == "S" or kind == "B" or kind == "BOOL":
            return self.value
        if kind == "N":
            return Decimal(self.value)
        return slow_cast(self)

    dynamo_type_cls.cast_value = property(cast_value)
    original_sorted_items = table_cls.sorted_items

    def sorted_items(
        self: Any, hash_key_attrs: list[str], range_key_attrs: list[str | None], items: list[Any]
    ) -> list[Any]:
        attrs = self._generate_attr_to_sort_by(hash_key_attrs, range_key_attrs)
        try:
            keys = [tuple(item.attrs[attr] for attr in attrs) for item in items]
        except KeyError:
            return original_sorted_items(self, hash_key_attrs, range_key_attrs, items)
        if not all(value.type in _KEY_TYPES for key in keys for value in key):
            return original_sorted_items(self, hash_key_attrs, range_key_attrs, items)
        order = sorted(range(len(items)), key=lambda i: tuple(v.cast_value for v in keys[i]))
        items[:] = [items[i] for i in order]
        return items

    table_cls.sorted_items = sorted_items


def sorted_by_primary_key(items: list[Any]) -> list[Any]:
    """``Table.all_items``' order (hash key, then range key) for a few items."""
    if all(
        item.hash_key.type in _KEY_TYPES
        and (item.range_key is None or item.range_key.type in _KEY_TYPES)
        for item in items
    ):
        return sorted(
            items,
            key=lambda x: (x.hash_key.cast_value, x.range_key.cast_value)
            if x.range_key
            else x.hash_key.cast_value,
        )
    return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)


# -- request headers read without the e-mail parser -------------------------------


_PLAIN_HEADER = re.compile(r"[\041-\071\073-\176]+:[^\r\n]*\r?\n\Z")


def parse_headers(fp: Any, _class: Any = None) -> Any:
    """``http.client.parse_headers`` for the plain case: one ``name: value`` per
    line, no continuation line, no bare carriage return, and no multipart or
    message content type. It builds the message the e-mail parser would
    (``compat32`` keeps names and values as sent, the value without its leading
    blanks and line end); anything else goes to the e-mail parser."""
    import email.parser
    import http.client

    message_class = http.client.HTTPMessage if _class is None else _class
    lines = http.client._read_headers(fp)  # type: ignore[attr-defined]
    text = b"".join(lines).decode("iso-8859-1")
    fields = [line.decode("iso-8859-1") for line in lines[:-1]]
    if lines[-1] in (b"\r\n", b"\n", b"") and all(_PLAIN_HEADER.match(f) for f in fields):
        message = message_class()
        for field in fields:
            name, value = field.split(":", 1)
            message.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
        message.set_payload("")
        if message.get_content_maintype() not in ("message", "multipart"):
            return message
    return email.parser.Parser(_class=message_class).parsestr(text)


class _HttpPackage:
    """Stands in for the ``http`` package inside ``http.server``, whose request
    parsing reads ``http.client.parse_headers``: the same, with the plain case first."""

    def __init__(self) -> None:
        import http

        self._http = http
        self.client = _HttpClient()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._http, name)


class _HttpClient:
    def __getattr__(self, name: str) -> Any:
        import http.client

        return getattr(http.client, name)

    parse_headers = staticmethod(parse_headers)


def install_header_parser() -> None:
    """Make ``http.server`` (werkzeug's development server) read request headers
    with ``parse_headers`` above (the e-mail parser was a tenth of a GetItem)."""
    import http.server

    if not isinstance(http.server.http, _HttpPackage):  # type: ignore[attr-defined]
        http.server.http = _HttpPackage()  # type: ignore[attr-defined]
