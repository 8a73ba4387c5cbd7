"""The web client on AWS: a private bucket behind CloudFront, with the stage's config.json."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra.parts.web import API_PATH, ASSETS_CACHE, PAGE_CACHE, REVALIDATED, WebClientNotBuilt
from infra.stages import STAGES
from local import node as project_node
from local.web import client_config
from tests.infra import cfn
from tests.infra.conftest import REPO_ROOT, Synthesized

pytestmark = pytest.mark.infra

# CloudFront's managed policies (the same ids in every account).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def render(value: Any) -> str:
    """A CloudFormation string value as text, references spelled ``{Ref:X}`` / ``{X.Attr}``."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(render(part) for part in parts)
    if isinstance(value, dict) and "Ref" in value:
        return f"{{Ref:{value['Ref']}}}"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        logical_id, attribute = value["Fn::GetAtt"]
        return f"{{{logical_id}.{attribute}}}"
    if isinstance(value, dict) and "Fn::Sub" in value:
        return re.sub(r"\$\{([^}]+)\}", r"{Ref:\1}", value["Fn::Sub"])
    raise AssertionError(f"cannot render {value!r}")


def _distribution(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = cfn.of_type(template, "AWS::CloudFront::Distribution").items()
    return found[0], found[1]["Properties"]["DistributionConfig"]


def _api_behavior(config: dict[str, Any]) -> dict[str, Any]:
    (behavior,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == f"{API_PATH}/*"]
    return dict(behavior)


def _origin(config: dict[str, Any], behavior: dict[str, Any]) -> dict[str, Any]:
    (origin,) = [o for o in config["Origins"] if o["Id"] == behavior["TargetOriginId"]]
    return dict(origin)


def _web_bucket(template: dict[str, Any]) -> str:
    _, config = _distribution(template)
    return cfn.target(_origin(config, config["DefaultCacheBehavior"])["DomainName"])


def _deployments(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return cfn.of_type(template, "Custom::CDKBucketDeployment")


def _page_deployment(template: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, body)
        for k, body in _deployments(template).items()
        if any(body["Properties"].get("SourceMarkers", [{}]))
    ]
    return found


def run_function(code: str, uri: str) -> str:
    """A CloudFront viewer-request function, run in Node (the project's) on one request."""
    node = str(project_node.install() / "node")
    script = code + "\nconsole.log(handler({request: {uri: process.argv[1]}}).uri);"
    result = subprocess.run(
        [node, "-e", script, uri], capture_output=True, text=True, check=True, timeout=30
    )
    return result.stdout.strip()


def _function_code(template: dict[str, Any], behavior: dict[str, Any]) -> str:
    (association,) = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"
    function = cfn.props(template, cfn.target(association["FunctionARN"]))
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    return str(function["FunctionCode"])


def test_the_web_bucket_is_private_and_only_the_distribution_reads_it(
    stage: Synthesized,
) -> None:
    template = stage.template
    distribution_id, config = _distribution(template)
    bucket_id = _web_bucket(template)
    bucket = cfn.props(template, bucket_id)
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"] == [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
    ]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert "WebsiteConfiguration" not in bucket
    # Origin Access Control (SigV4-signed requests), no legacy origin access identity.
    origin = _origin(config, config["DefaultCacheBehavior"])
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    oac = cfn.props(template, cfn.target(origin["OriginAccessControlId"]))
    assert oac["OriginAccessControlConfig"]["OriginAccessControlOriginType"] == "s3"
    assert oac["OriginAccessControlConfig"]["SigningBehavior"] == "always"
    assert oac["OriginAccessControlConfig"]["SigningProtocol"] == "sigv4"
    (policy,) = [
        p["Properties"]["PolicyDocument"]
        for p in cfn.of_type(template, "AWS::S3::BucketPolicy").values()
        if cfn.target(p["Properties"]["Bucket"]) == bucket_id
    ]
    statements = cfn.statements(policy)
    (deny,) = [s for s in statements if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (allow,) = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert render(allow["Resource"]) == f"{{{bucket_id}.Arn}}/*"
    source = render(allow["Condition"]["StringEquals"]["AWS:SourceArn"])
    assert source.endswith(f":distribution/{{Ref:{distribution_id}}}")


def test_viewers_get_https_and_the_page_for_any_path_that_is_not_a_file(
    stage: Synthesized,
) -> None:
    template = stage.template
    _, config = _distribution(template)
    default = config["DefaultCacheBehavior"]
    assert default["ViewerProtocolPolicy"] == "redirect-to-https"
    assert all(b["ViewerProtocolPolicy"] != "allow-all" for b in config["CacheBehaviors"])
    assert config["DefaultRootObject"] == "index.html"
    # No distribution-wide error pages: they would replace the API's own 403/404 errors.
    assert "CustomErrorResponses" not in config
    code = _function_code(template, default)
    for uri in ("/", "/conversations/42", "/admin", "/agent/"):
        assert run_function(code, uri) == "/index.html", uri
    for uri in ("/index.html", "/config.json", "/assets/index-abc.js", "/assets/x", "/a.png"):
        assert run_function(code, uri) == uri, uri


def test_the_rest_api_is_served_under_api_on_the_same_origin_uncached(
    stage: Synthesized,
) -> None:
    template = stage.template
    _, config = _distribution(template)
    behavior = _api_behavior(config)
    origin = _origin(config, behavior)
    assert render(origin["DomainName"]) == (
        f"{{Ref:RestAPI}}.execute-api.{stage.config.region}.{{Ref:AWS::URLSuffix}}"
    )
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert origin["CustomOriginConfig"]["OriginSSLProtocols"] == ["TLSv1.2"]
    assert behavior["ViewerProtocolPolicy"] == "https-only"
    assert {"GET", "POST", "PUT", "DELETE", "OPTIONS"} <= set(behavior["AllowedMethods"])
    assert behavior["CachePolicyId"] == CACHING_DISABLED
    assert behavior["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    # /api/<route> reaches the stage's /<route>
    code = _function_code(template, behavior)
    for route in ("/me", "/conversations/c1/messages", "/sms/preview"):
        rewritten = run_function(code, API_PATH + route)
        assert origin["OriginPath"] + rewritten == f"/{stage.name}{route}"


def test_every_response_carries_the_security_headers(stage: Synthesized) -> None:
    template = stage.template
    _, config = _distribution(template)
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    (policy_id,) = {cfn.target(b["ResponseHeadersPolicyId"]) for b in behaviors}
    headers = cfn.props(template, policy_id)["ResponseHeadersPolicyConfig"]
    security = headers["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 365 * 24 * 3600
    assert hsts["IncludeSubdomains"] is True and hsts["Override"] is True
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    csp_config = security["ContentSecurityPolicy"]
    assert csp_config["Override"] is True
    csp = {
        directive.split()[0]: directive.split()[1:]
        for directive in render(csp_config["ContentSecurityPolicy"]).split("; ")
    }
    region, suffix = stage.config.region, "{Ref:AWS::URLSuffix}"
    media = f"https://{{Ref:{_media_bucket(template)}}}.s3.{suffix}"
    assert csp["default-src"] == ["'none'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == [
        "'self'",  # the page and the REST API under /api
        f"wss://{{Ref:WebsocketAPI}}.execute-api.{region}.{suffix}",
        f"https://cognito-idp.{region}.{suffix}",
        media,
        f"https://{{Ref:{_media_bucket(template)}}}.s3.{region}.{suffix}",
    ]
    assert media in csp["img-src"]
    assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
    assert "unsafe" not in json.dumps(csp)


def _media_bucket(template: dict[str, Any]) -> str:
    web = _web_bucket(template)
    (media,) = [k for k in cfn.of_type(template, "AWS::S3::Bucket") if k != web]
    return media


def _staged(stage: Synthesized, key: str) -> Path:
    """A deployment source as the cloud assembly stages it (``<hash>.zip`` → ``asset.<hash>``)."""
    directory = stage.template_path.parent / f"asset.{key.removesuffix('.zip')}"
    assert directory.is_dir(), directory
    return directory


def _deployed_config(stage: Synthesized) -> dict[str, Any]:
    """config.json as the deployment writes it, each deploy-time value rendered."""
    _, page = _page_deployment(stage.template)
    props = page["Properties"]
    for key, markers in zip(props["SourceObjectKeys"], props["SourceMarkers"], strict=True):
        path = _staged(stage, key) / "config.json"
        if path.exists():
            text = path.read_text()
            for marker, value in markers.items():
                # each marker stands for a whole JSON string, quotes included
                text = text.replace(marker, render(value))
            assert "<<marker" not in text
            loaded: dict[str, Any] = json.loads(text)
            return loaded
    raise AssertionError("no deployment writes config.json")


def test_config_json_holds_the_stage_urls_and_public_cognito_ids(stage: Synthesized) -> None:
    template = stage.template
    deployed = _deployed_config(stage)
    distribution_id, _ = _distribution(template)
    outputs = {k: render(v["Value"]) for k, v in template["Outputs"].items()}
    assert deployed["rest_url"] == f"https://{{{distribution_id}.DomainName}}{API_PATH}"
    assert deployed["ws_url"] == outputs["WebSocketUrl"]
    assert deployed["region"] == stage.config.region
    assert deployed["cognito"]["user_pool_id"] == outputs["UserPoolId"]
    assert deployed["cognito"]["client_id"] == outputs["UserPoolClientId"]
    client = cfn.props(template, cfn.target(template["Outputs"]["UserPoolClientId"]["Value"]))
    assert client["GenerateSecret"] is False  # the page holds nothing a browser cannot see
    # the same shape as the local stack's config.json, which the client reads
    local = client_config(
        rest_url="r",
        ws_url="w",
        region="x",
        cognito={"user_pool_id": "p", "client_id": "c"},
        cognito_endpoint="e",
    )
    assert _shape(deployed) == _shape(local)
    reader = (REPO_ROOT / "web" / "src" / "lib" / "config.ts").read_text()
    for key in ("rest_url", "ws_url", "region", "user_pool_id", "client_id", "endpoint"):
        assert re.search(rf"\b{key}\??:", reader), key
    # nothing but the distribution, the WebSocket API and the pool's ids is referenced
    references = set(re.findall(r"\{(?:Ref:)?([A-Za-z0-9:]+?)(?:\.\w+)?\}", json.dumps(deployed)))
    assert references == {
        distribution_id,
        "WebsocketAPI",
        "AWS::URLSuffix",
        cfn.target(template["Outputs"]["UserPoolId"]["Value"]),
        cfn.target(template["Outputs"]["UserPoolClientId"]["Value"]),
    }


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    return type(value).__name__


def test_the_page_and_config_are_revalidated_and_hashed_assets_cached_for_good(
    stage: Synthesized,
) -> None:
    template = stage.template
    distribution_id, _ = _distribution(template)
    bucket_id = _web_bucket(template)
    page_id, page = _page_deployment(template)
    (assets_id,) = [k for k in _deployments(template) if k != page_id]
    assets = _deployments(template)[assets_id]
    for body in (page, assets):
        assert cfn.target(body["Properties"]["DestinationBucketName"]) == bucket_id
        assert body["Properties"]["Prune"] is False  # an open page keeps its old chunks
    assert page["Properties"]["SystemMetadata"] == {"cache-control": PAGE_CACHE}
    assert cfn.target(page["Properties"]["DistributionId"]) == distribution_id
    assert {"/index.html", "/config.json", "/sw.js", "/manifest.webmanifest"} <= set(
        page["Properties"]["DistributionPaths"]
    )
    assert assets["Properties"]["SystemMetadata"] == {"cache-control": ASSETS_CACHE}
    assert assets_id in page["DependsOn"]  # the page goes out after the files it loads
    page_files = {
        path.name
        for key in page["Properties"]["SourceObjectKeys"]
        for path in _staged(stage, key).iterdir()
    }
    # the service worker and the manifest are revalidated like the page (a stale worker
    # would keep browsers on an old app shell)
    assert page_files == {"index.html", "config.json", *REVALIDATED}
    (key,) = assets["Properties"]["SourceObjectKeys"]
    staged = _staged(stage, key)
    for name in ("index.html", "config.json", *REVALIDATED):
        assert not (staged / name).exists(), name
    assert list((staged / "assets").glob("*.js"))


def test_the_deployment_function_may_only_copy_the_files_and_invalidate(
    stage: Synthesized,
) -> None:
    template = stage.template
    distribution_id, _ = _distribution(template)
    bucket_id = _web_bucket(template)
    (handler_id,) = {
        cfn.target(body["Properties"]["ServiceToken"]) for body in _deployments(template).values()
    }
    handler = cfn.props(template, handler_id)
    role_id = cfn.target(handler["Role"])
    role = cfn.props(template, role_id)
    assert "ManagedPolicyArns" not in role
    attached = [
        owner
        for owner, body in cfn.of_type(template, "AWS::IAM::Policy").items()
        if role_id in cfn.refs(body["Properties"].get("Roles", []))
    ]
    assert attached == []
    log_group = cfn.target(handler["LoggingConfig"]["LogGroup"])
    assert cfn.props(template, log_group)["RetentionInDays"] == stage.config.log_retention_days
    (staging_bucket,) = {
        render(name)
        for body in _deployments(template).values()
        for name in body["Properties"]["SourceBucketNames"]
    }
    granted = {
        statement["Sid"]: (sorted(cfn.as_list(statement["Action"])), render(statement["Resource"]))
        for statement in cfn.role_statements(template, role_id)
    }
    assert granted["Logs"] == (
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        f"{{{log_group}.Arn}}",
    )
    actions, staged = granted["ReadStaged"]
    assert actions == ["s3:GetObject"]
    assert staged.endswith("/*")
    assert staged.split(":::")[1][:-2] == staging_bucket.replace(
        stage.config.region, "{Ref:AWS::Region}"
    )
    assert granted["ListWebBucket"] == (["s3:ListBucket"], f"{{{bucket_id}.Arn}}")
    assert granted["WriteWebBucket"] == (["s3:PutObject"], f"{{{bucket_id}.Arn}}/*")
    actions, target = granted["Invalidate"]
    assert actions == ["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"]
    assert target.endswith(f":distribution/{{Ref:{distribution_id}}}")
    assert set(granted) == {"Logs", "ReadStaged", "ListWebBucket", "WriteWebBucket", "Invalidate"}


def test_the_distribution_logs_to_cloudwatch_as_long_as_the_apis(stage: Synthesized) -> None:
    template = stage.template
    distribution_id, _ = _distribution(template)
    (source,) = cfn.of_type(template, "AWS::Logs::DeliverySource").values()
    assert source["Properties"]["LogType"] == "ACCESS_LOGS"
    assert render(source["Properties"]["ResourceArn"]).endswith(
        f":distribution/{{Ref:{distribution_id}}}"
    )
    (delivery,) = cfn.of_type(template, "AWS::Logs::Delivery").values()
    assert delivery["Properties"]["DeliverySourceName"] == source["Properties"]["Name"]
    destination = cfn.props(template, cfn.target(delivery["Properties"]["DeliveryDestinationArn"]))
    group = cfn.props(template, cfn.target(destination["DestinationResourceArn"]))
    assert group["RetentionInDays"] == stage.config.log_retention_days


def test_the_web_url_output_is_the_distribution(stage: Synthesized) -> None:
    distribution_id, _ = _distribution(stage.template)
    output = stage.template["Outputs"]["WebUrl"]
    assert render(output["Value"]) == f"https://{{{distribution_id}.DomainName}}/"


def test_synthesis_without_a_built_client_says_to_run_make_web(tmp_path: Path) -> None:
    import aws_cdk as cdk

    from infra.stack import TextingStack

    app = cdk.App(outdir=str(tmp_path / "out"))
    with pytest.raises(WebClientNotBuilt, match="make web"):
        TextingStack(app, config=STAGES["dev"], web_dist=tmp_path / "dist")


# Stand-ins for the deploy-time values, to run the built page under the real headers.
ORIGIN = "https://d111111abcdef8.cloudfront.net"
DEPLOYED = {
    "AWS::URLSuffix": "amazonaws.com",
    "WebsocketAPI": "ws0123abcd",
    "DomainName": ORIGIN.removeprefix("https://"),
}


def _concrete(text: str, template: dict[str, Any]) -> str:
    """A rendered value with every reference replaced by a plausible deployed value."""
    media = _media_bucket(template)

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == media:
            return "texting-dev-mediabucket-1a2b3c"
        if name in DEPLOYED:
            return DEPLOYED[name]
        attribute = match.group(2)
        if attribute in DEPLOYED:
            return DEPLOYED[attribute]
        return f"{name.lower()}-id"

    return re.sub(r"\{(?:Ref:)?([A-Za-z0-9:]+?)(?:\.(\w+))?\}", value, text)


def test_the_built_page_runs_under_its_content_security_policy(
    synthesized: dict[str, Synthesized],
) -> None:
    """Debian's Chromium loads web/dist from the distribution's origin with the policy's
    headers and config.json: the page, its script and styles, config.json and the
    sign-in call to Cognito all pass the CSP, and what it does not allow is refused."""
    import mimetypes

    from playwright.sync_api import Route, expect, sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS

    stage = synthesized["dev"]
    template = stage.template
    _, config = _distribution(template)
    policy = cfn.props(
        template, cfn.target(config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"])
    )
    security = policy["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    csp = _concrete(render(security["ContentSecurityPolicy"]["ContentSecurityPolicy"]), template)
    headers = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
    }
    client = json.loads(_concrete(json.dumps(_deployed_config(stage)), template))
    assert client["rest_url"] == f"{ORIGIN}/api"
    dist = REPO_ROOT / "web" / "dist"
    assert (dist / "index.html").exists(), "build the web client first: make web"
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    cognito_calls: list[str] = []

    def serve(route: Route) -> None:
        path = route.request.url.removeprefix(ORIGIN).split("?")[0]
        if path == "/config.json":
            route.fulfill(status=200, body=json.dumps(client), content_type="application/json")
            return
        if path.startswith("/api/"):
            route.fulfill(status=401, json={"error": {"code": "unauthorized", "message": "x"}})
            return
        file = dist / ("index.html" if path in ("", "/") else path.lstrip("/"))
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        route.fulfill(status=200, body=file.read_bytes(), headers={**headers, "content-type": kind})

    def cognito(route: Route) -> None:
        cognito_calls.append(route.request.url)
        route.fulfill(
            status=400,
            json={"__type": "NotAuthorizedException", "message": "Incorrect username or password."},
            headers={"access-control-allow-origin": "*"},
        )

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            violations: list[str] = []
            page.on(
                "console",
                lambda m: violations.append(m.text)
                if "Content Security Policy" in m.text
                else None,
            )
            page.route(f"{ORIGIN}/**", serve)
            page.route(client["cognito"]["endpoint"] + "**", cognito)
            page.goto(f"{ORIGIN}/")
            page.get_by_role("textbox", name="Username").fill("alice")
            page.get_by_role("textbox", name="Password").fill("not-her-password")
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_text("Wrong username or password.")).to_be_visible(timeout=30_000)
            assert cognito_calls == [client["cognito"]["endpoint"]]
            assert violations == []
            # the WebSocket API is allowed; another host, or inline script, is not
            blocked = page.evaluate(
                """async ([ws]) => {
                  const seen = [];
                  document.addEventListener("securitypolicyviolation",
                    (e) => seen.push(e.blockedURI || e.violatedDirective));
                  try { new WebSocket(ws + "?token=x").close(); } catch (e) { seen.push("ws:" + e); }
                  try { await fetch("https://elsewhere.example/steal"); } catch (e) {}
                  const s = document.createElement("script");
                  s.textContent = "window.__inline = 1";
                  document.body.appendChild(s);
                  // the refused fetch is reported last: poll for it, with a deadline
                  const deadline = Date.now() + 10000;
                  while (!seen.some((s) => s.includes("elsewhere")) && Date.now() < deadline) {
                    await new Promise((r) => setTimeout(r, 50));
                  }
                  return {seen, inline: window.__inline === 1};
                }""",
                [client["ws_url"]],
            )
            assert blocked["inline"] is False
            assert not any("execute-api" in s for s in blocked["seen"]), blocked
            assert any("elsewhere.example" in s for s in blocked["seen"]), blocked
        finally:
            browser.close()
