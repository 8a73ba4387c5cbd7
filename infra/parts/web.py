"""The web client: a private bucket served by CloudFront, with the stage's ``config.json``.

The built client (``web/dist``, ``make web``) is one build for every stage: the
page reads ``./config.json`` at start-up (``web/src/lib/config.ts``), and this
part writes that file from the stage's own values — the REST and WebSocket
URLs, the region and the Cognito pool and app-client ids (public ids; the app
client has no secret). The same keys as the local stack's
(``local/web.client_config``).

One origin for the page and the REST API: CloudFront sends ``/api/*`` to the
REST API (the prefix stripped by a viewer-request function), so the page calls
its own origin and the API needs no CORS. The WebSocket goes straight to API
Gateway (browsers apply no CORS to WebSockets). The bucket is private, read by
CloudFront alone through Origin Access Control.

The SPA fallback (any path that is not a file → ``/index.html``) is a
viewer-request function on the page's behaviour, not a distribution error
response: error responses apply to every behaviour and would turn the API's
own 403 and 404 errors into the page.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deployment
from constructs import Construct

from infra import permissions
from infra.parts import Part
from infra.parts.app import ChaliceApp
from infra.parts.auth import Auth
from infra.stages import StageConfig

# Where the page calls the REST API: https://<distribution>/api/<route>.
API_PATH = "/api"
CONFIG_KEY = "config.json"
INDEX = "index.html"
# Vite names every built asset by its content hash: a name never changes content.
ASSETS_CACHE = "public, max-age=31536000, immutable"
# The page and its configuration change with every deployment: always revalidated.
PAGE_CACHE = "no-cache"
# Named files that change with every build, revalidated like the page: the service
# worker (a stale one at the edge would keep every browser on the old app shell) and
# the web app manifest.
REVALIDATED = ("sw.js", "manifest.webmanifest")
HSTS_SECONDS = 2 * 365 * 24 * 60 * 60
# CloudFront delivers its access logs (standard logging v2) from us-east-1 only.
LOG_DELIVERY_REGION = "us-east-1"

# Viewer-request functions (cloudfront-js-2.0). tests/infra runs them in Node.
SPA_FUNCTION = """\
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  // The app routes with the URL hash: a path that names no file is the page.
  if (request.uri.indexOf('/assets/') !== 0 && last.indexOf('.') === -1) {
    request.uri = '/index.html';
  }
  return request;
}
"""
API_FUNCTION = """\
function handler(event) {
  var request = event.request;
  // /api/me -> /me; the origin path adds the stage: /<stage>/me
  request.uri = request.uri.substring(API_PREFIX_LENGTH);
  return request;
}
""".replace("API_PREFIX_LENGTH", str(len(API_PATH)))


class WebClientNotBuilt(Exception):
    """``web/dist`` has no built client to deploy."""


def built_client(dist: Path) -> Path:
    """The built page in ``dist``, or a refusal that says how to build it."""
    index = dist / INDEX
    if not index.is_file():
        raise WebClientNotBuilt(
            f"{index} is missing: build the web client first with `make web` "
            "(npm ci and a Vite build into web/dist); make synth, make deploy and "
            "make test-infra do it for you"
        )
    return index


class WebClient(Part):
    """Bucket, distribution, security headers, access logs and the deployed files."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        dist: Path,
        app: ChaliceApp,
        auth: Auth,
        media_bucket: s3.IBucket,
    ) -> None:
        super().__init__(scope, construct_id)
        index = built_client(dist)
        stack = cdk.Stack.of(self)
        self.config = config
        self.removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        self.bucket = self._bucket()
        self.headers = self._headers_policy(app, media_bucket)
        self.distribution = self._distribution(app)
        self.url = cdk.Fn.join("", ["https://", self.distribution.distribution_domain_name, "/"])
        self.client_config = {
            "rest_url": cdk.Fn.join(
                "", ["https://", self.distribution.distribution_domain_name, API_PATH]
            ),
            "ws_url": app.websocket_url,
            "region": stack.region,
            "cognito": {
                "user_pool_id": auth.user_pool.user_pool_id,
                "client_id": auth.user_pool_client.user_pool_client_id,
                "endpoint": f"https://cognito-idp.{stack.region}.{stack.url_suffix}/",
            },
            "search": config.search_enabled,  # the page shows its search box only then
        }
        self.access_logs = self._access_logs()
        self._deploy(dist, index)

    # -- storage and edge ---------------------------------------------------

    def _bucket(self) -> s3.Bucket:
        return s3.Bucket(
            self,
            "WebBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="abort-incomplete-uploads",
                    abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
                ),
                # A replaced page or config.json stays recoverable for a month.
                s3.LifecycleRule(
                    id="expire-old-versions",
                    noncurrent_version_expiration=cdk.Duration.days(30),
                    expired_object_delete_marker=True,
                ),
            ],
            # Kept on stack deletion like the media bucket (CloudFormation cannot delete
            # a bucket with objects in it); its files are rebuilt by any deployment.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )

    def _headers_policy(
        self, app: ChaliceApp, media_bucket: s3.IBucket
    ) -> cloudfront.ResponseHeadersPolicy:
        return cloudfront.ResponseHeadersPolicy(
            self,
            "WebHeaders",
            comment=f"{self.config.prefix}: security headers of the web client",
            security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
                strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=cdk.Duration.seconds(HSTS_SECONDS),
                    include_subdomains=True,
                    override=True,
                ),
                content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cloudfront.ResponseHeadersFrameOptions(
                    frame_option=cloudfront.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                    referrer_policy=cloudfront.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN,
                    override=True,
                ),
                content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                    content_security_policy=self._content_security_policy(app, media_bucket),
                    override=True,
                ),
            ),
        )

    def _content_security_policy(self, app: ChaliceApp, media_bucket: s3.IBucket) -> str:
        """What the page may load and call: itself (page, REST API under /api), the
        stage's WebSocket API, Cognito, and the media bucket (presigned uploads and
        pictures)."""
        stack = cdk.Stack.of(self)
        region, suffix = stack.region, stack.url_suffix
        websocket = cdk.Fn.join(
            "", ["wss://", app.websocket_api.ref, f".execute-api.{region}.{suffix}"]
        )
        # boto3 presigns on the global endpoint; the regional one is the same bucket.
        media = [
            cdk.Fn.join("", ["https://", media_bucket.bucket_name, f".s3.{suffix}"]),
            cdk.Fn.join("", ["https://", media_bucket.bucket_name, f".s3.{region}.{suffix}"]),
        ]
        cognito = f"https://cognito-idp.{region}.{suffix}"
        directives = [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "font-src 'self'",
            "manifest-src 'self'",
            " ".join(["img-src 'self' data:", *media]),
            " ".join(["connect-src 'self'", websocket, cognito, *media]),
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "object-src 'none'",
        ]
        return "; ".join(directives)

    def _distribution(self, app: ChaliceApp) -> cloudfront.Distribution:
        stack = cdk.Stack.of(self)
        spa = cloudfront.Function(
            self,
            "WebPageFunction",
            code=cloudfront.FunctionCode.from_inline(SPA_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment="the page for any path that is not a file",
        )
        api_prefix = cloudfront.Function(
            self,
            "WebApiFunction",
            code=cloudfront.FunctionCode.from_inline(API_FUNCTION),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            comment=f"{API_PATH}/<route> to the REST API's /<route>",
        )
        rest_domain = cdk.Fn.join(
            "", [app.rest_api.ref, f".execute-api.{stack.region}.{stack.url_suffix}"]
        )
        return cloudfront.Distribution(
            self,
            "WebDistribution",
            comment=f"{self.config.prefix} web client",
            default_root_object=INDEX,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            http_version=cloudfront.HttpVersion.HTTP2_AND_3,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=self.headers,
                compress=True,
                function_associations=[
                    cloudfront.FunctionAssociation(
                        function=spa, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
                    )
                ],
            ),
            additional_behaviors={
                f"{API_PATH}/*": cloudfront.BehaviorOptions(
                    origin=origins.HttpOrigin(
                        rest_domain,
                        origin_path=f"/{self.config.name}",
                        protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
                        origin_ssl_protocols=[cloudfront.OriginSslPolicy.TLS_V1_2],
                    ),
                    # A redirected POST would lose its body: the API answers https only.
                    viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                    allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                    # Every answer is per caller: nothing is cached. API Gateway needs its
                    # own Host header; the rest (Authorization, query) goes through.
                    cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                    origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    response_headers_policy=self.headers,
                    function_associations=[
                        cloudfront.FunctionAssociation(
                            function=api_prefix,
                            event_type=cloudfront.FunctionEventType.VIEWER_REQUEST,
                        )
                    ],
                )
            },
        )

    def _access_logs(self) -> logs.CfnLogGroup:
        """CloudFront's access logs in CloudWatch Logs, kept as long as the APIs' are."""
        group = logs.CfnLogGroup(
            self,
            "WebAccessLogs",
            # Vended logs go to /aws/vendedlogs/ (no resource-policy size limit there).
            log_group_name=f"/aws/vendedlogs/{self.config.prefix}/web-access",
            retention_in_days=self.config.log_retention_days,
        )
        group.apply_removal_policy(self.removal)
        if cdk.Stack.of(self).region != LOG_DELIVERY_REGION:
            cdk.Annotations.of(self).add_warning_v2(
                "texting:web-access-logs",
                f"CloudFront delivers access logs from {LOG_DELIVERY_REGION} only: the web "
                "client's distribution is not logged in this stage's region",
            )
            return group
        name = f"{self.config.prefix}-web-access"
        source = logs.CfnDeliverySource(
            self,
            "WebAccessLogSource",
            name=name,
            log_type="ACCESS_LOGS",
            resource_arn=self.distribution.distribution_arn,
        )
        destination = logs.CfnDeliveryDestination(
            self,
            "WebAccessLogDestination",
            name=name,
            destination_resource_arn=group.attr_arn,
            output_format="json",
        )
        delivery = logs.CfnDelivery(
            self,
            "WebAccessLogDelivery",
            delivery_source_name=name,
            delivery_destination_arn=destination.attr_arn,
        )
        delivery.node.add_dependency(source)
        return group

    # -- the files ----------------------------------------------------------

    def _deploy(self, dist: Path, index: Path) -> None:
        deployment_logs = logs.LogGroup(self, "WebDeploymentLogs", removal_policy=self.removal)
        default = deployment_logs.node.default_child
        assert isinstance(default, logs.CfnLogGroup)
        default.retention_in_days = self.config.log_retention_days
        role = self._deployment_role(deployment_logs)
        # Hashed assets first, never pruned: a page still open in a browser keeps
        # loading the chunks of the build it came with.
        assets = deployment.BucketDeployment(
            self,
            "WebAssets",
            destination_bucket=self.bucket,
            sources=[deployment.Source.asset(str(dist), exclude=[INDEX, CONFIG_KEY, *REVALIDATED])],
            cache_control=[deployment.CacheControl.from_string(ASSETS_CACHE)],
            prune=False,
            role=role,
            log_group=deployment_logs,
        )
        # Then the page and its configuration, revalidated on every load and
        # invalidated at the edge.
        page = deployment.BucketDeployment(
            self,
            "WebPage",
            destination_bucket=self.bucket,
            sources=[
                deployment.Source.data(INDEX, index.read_text()),
                deployment.Source.json_data(CONFIG_KEY, self.client_config),
                *(
                    deployment.Source.data(name, (dist / name).read_text())
                    for name in REVALIDATED
                    if (dist / name).exists()
                ),
            ],
            cache_control=[deployment.CacheControl.from_string(PAGE_CACHE)],
            prune=False,
            distribution=self.distribution,
            distribution_paths=[
                "/",
                f"/{INDEX}",
                f"/{CONFIG_KEY}",
                *(f"/{name}" for name in REVALIDATED),
            ],
            role=role,
            log_group=deployment_logs,
        )
        page.node.add_dependency(assets)
        self._drop_redundant_dependency()

    def _drop_redundant_dependency(self) -> None:
        """The construct makes its function depend on the role it is given; the function
        names the role (GetAtt) and the role carries its policy inline, so the explicit
        DependsOn only repeats that (cfn-lint W3005)."""
        stack = cdk.Stack.of(self)
        handlers = [
            child
            for child in stack.node.children
            if isinstance(child, lambda_.Function)
            and child.node.id.startswith("Custom::CDKBucketDeployment")
        ]
        if len(handlers) != 1:
            raise RuntimeError(f"expected one BucketDeployment handler, found {handlers}")
        resource = handlers[0].node.default_child
        assert isinstance(resource, cdk.CfnResource)
        resource.add_deletion_override("DependsOn")

    def _deployment_role(self, log_group: logs.LogGroup) -> iam.IRole:
        """Exactly what the deployment function does: read the staged files, list and
        write the web bucket (nothing is pruned, so nothing deleted), invalidate this
        distribution, write its log. Immutable, so the construct adds no broader grant."""
        stack = cdk.Stack.of(self)
        synthesizer = stack.synthesizer
        qualifier = (
            synthesizer.bootstrap_qualifier
            if isinstance(synthesizer, cdk.DefaultStackSynthesizer)
            and synthesizer.bootstrap_qualifier
            else cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
        )
        # CDK publishes the files to the bootstrap assets bucket, then the function reads them.
        staged = cdk.Fn.sub(
            "arn:${AWS::Partition}:s3:::"
            + cdk.DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace(
                "${Qualifier}", qualifier
            )
            + "/*"
        )
        statements = [
            iam.PolicyStatement(
                sid="Logs",
                actions=list(permissions.LOG_ACTIONS),
                resources=[log_group.log_group_arn],
            ),
            iam.PolicyStatement(sid="ReadStaged", actions=["s3:GetObject"], resources=[staged]),
            iam.PolicyStatement(
                sid="ListWebBucket", actions=["s3:ListBucket"], resources=[self.bucket.bucket_arn]
            ),
            iam.PolicyStatement(
                sid="WriteWebBucket",
                actions=["s3:PutObject"],
                resources=[self.bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                sid="Invalidate",
                actions=["cloudfront:CreateInvalidation", "cloudfront:GetInvalidation"],
                resources=[self.distribution.distribution_arn],
            ),
        ]
        role = iam.Role(
            self,
            "WebDeploymentRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self.config.prefix}: deploys the web client's files",
            inline_policies={"deploy": iam.PolicyDocument(statements=statements)},
        )
        return role.without_policy_updates()
