"""Clients for the end-to-end tests: sign in, REST as a user, a WebSocket device."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import boto3
import requests
from websockets.sync.client import ClientConnection

FRAME_SECONDS = 10.0

Frame = dict[str, Any]
Stack = dict[str, Any]


def user(stack: Stack, username: str) -> dict[str, Any]:
    return next(u for u in stack["users"] if u["username"] == username)


def login(stack: Stack, username: str) -> str:
    """A Cognito IdToken for a demo user, the way a client signs in."""
    cognito = boto3.client(
        "cognito-idp",
        endpoint_url=stack["aws_endpoint_url"],
        region_name=stack["region"],
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    result = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=stack["cognito"]["client_id"],
        AuthParameters={"USERNAME": username, "PASSWORD": user(stack, username)["password"]},
    )
    return str(result["AuthenticationResult"]["IdToken"])


class Api:
    """REST as one signed-in user."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only, never a proxy
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=FRAME_SECONDS, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base_url + path, json=body, timeout=FRAME_SECONDS, **kwargs)


class Device:
    """One WebSocket connection; remembers every frame it received."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.frames: list[Frame] = []

    def send(self, frame: Frame) -> None:
        self.socket.send(json.dumps(frame))

    def wait_for(self, predicate: Callable[[Frame], bool], timeout: float = FRAME_SECONDS) -> Frame:
        """The first frame (already received or arriving before the deadline) that matches."""
        for frame in self.frames:
            if predicate(frame):
                return frame
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                raw = self.socket.recv(timeout=remaining)
            except TimeoutError:
                break
            frame = json.loads(raw)
            self.frames.append(frame)
            if predicate(frame):
                return frame
        seen = [f.get("type") for f in self.frames]
        raise AssertionError(f"no matching frame within {timeout}s; received {seen}")

    def matching(self, predicate: Callable[[Frame], bool]) -> list[Frame]:
        return [f for f in self.frames if predicate(f)]
