"""checkov's findings this stack accepts, each with its reason, written into the template.

``make test-infra`` runs checkov on every stage's template and fails on any
failed check. The checks below are judged not to apply, or to cost more than
they protect here; each is suppressed on the resources it concerns through the
resource's ``Metadata.checkov.skip`` (checkov's own CloudFormation mechanism),
so a scan of the template shows the reason next to the resource.
Everything else checkov asks for is fixed in the parts instead.
"""

from __future__ import annotations

from typing import Any

import jsii
from aws_cdk import CfnResource, IAspect
from constructs import IConstruct

# CloudFormation type → [(check id, one-line reason)].
SUPPRESSIONS: dict[str, list[tuple[str, str]]] = {
    "AWS::Serverless::Function": [
        (
            "CKV_AWS_116",
            "no asynchronous invocations: API Gateway and event source mappings invoke "
            "synchronously, and the queues and stream have their own failure destinations",
        ),
        (
            "CKV_AWS_117",
            "reaches only AWS and provider public endpoints; a VPC would add NAT cost and "
            "cold-start time and isolate nothing",
        ),
        (
            "CKV_AWS_115",
            "bounded by API stage throttling and event-source maximum concurrency instead of "
            "reserving account concurrency per function",
        ),
        (
            "CKV_AWS_173",
            "environment holds only names, URLs and flags (secrets are read from Secrets "
            "Manager at run time); Lambda encrypts it at rest",
        ),
    ],
    # The one plain Lambda function: CDK's BucketDeployment handler, which copies the
    # web client's files into its bucket while CloudFormation deploys (infra/parts/web.py).
    "AWS::Lambda::Function": [
        (
            "CKV_AWS_116",
            "the web client's deployment handler is invoked synchronously by CloudFormation "
            "(a custom resource), which reports a failure and rolls back; nothing to park",
        ),
        (
            "CKV_AWS_117",
            "the web client's deployment handler reaches only S3 and CloudFront; a VPC would "
            "add NAT cost and isolate nothing",
        ),
        (
            "CKV_AWS_115",
            "the web client's deployment handler runs only during a stack deployment, once "
            "per changed set of files",
        ),
        (
            "CKV_AWS_173",
            "the web client's deployment handler's environment holds only a CA bundle path",
        ),
    ],
    "AWS::CloudFront::Distribution": [
        (
            "CKV_AWS_68",
            "serves the built web client's static files; every API call it forwards (/api) "
            "reaches the REST API stage, which carries the web ACL when waf_enabled is on",
        ),
        (
            "CKV_AWS_86",
            "access logs go to CloudWatch Logs by CloudFront standard logging v2 "
            "(AWS::Logs::Delivery in this template; us-east-1 stages, elsewhere synthesis "
            "warns), which the check does not recognise",
        ),
        (
            "CKV_AWS_174",
            "served on the default *.cloudfront.net certificate, whose minimum protocol "
            "CloudFront sets itself; choosing TLSv1.2_2021 needs a custom domain and certificate",
        ),
    ],
    "AWS::Logs::LogGroup": [
        (
            "CKV_AWS_158",
            "logs hold ids and codes, never message text or secrets; CloudWatch Logs "
            "encrypts every log group at rest",
        ),
    ],
    "AWS::DynamoDB::Table": [
        (
            "CKV_AWS_119",
            "encrypted with the AWS managed key (aws/dynamodb); no cross-account access that "
            "a customer-managed key would control",
        ),
    ],
    "AWS::S3::Bucket": [
        (
            "CKV_AWS_18",
            "objects are reached only through short-lived presigned URLs the app logs; "
            "CloudTrail data events audit access where an operator needs it",
        ),
    ],
    "AWS::SQS::Queue": [
        (
            "CKV_AWS_27",
            "encrypted with SQS-managed SSE (SqsManagedSseEnabled), which SNS can deliver "
            "to; the check only recognises KMS keys",
        ),
    ],
    "AWS::OpenSearchService::Domain": [
        (
            "CKV_AWS_317",
            "audit logs need fine-grained access control (an internal user database or a "
            "master role); access is IAM only, its resource policy naming three roles path "
            "by path, and CloudTrail records every change to the domain",
        ),
    ],
    "AWS::SecretsManager::Secret": [
        (
            "CKV_AWS_149",
            "the VAPID key's secret, encrypted with the AWS managed key (aws/secretsmanager); "
            "only the stage's own function roles may read it, and no other account",
        ),
        (
            "CKV2_AWS_57",
            "a new VAPID key unsubscribes every browser (their subscriptions name the old "
            "public key), so it is replaced by hand (infra/admin.py generate-vapid-key "
            "--replace), never on a schedule",
        ),
    ],
    "AWS::Serverless::Api": [
        (
            "CKV_AWS_120",
            "every response is per caller and changes with each message: a cache would "
            "serve stale or another caller's data",
        ),
    ],
}


@jsii.implements(IAspect)
class CheckovSuppressions:
    """Adds ``Metadata.checkov.skip`` to every resource of a type listed in SUPPRESSIONS."""

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource):
            return
        skips = SUPPRESSIONS.get(node.cfn_resource_type)
        if not skips:
            return
        entries: list[dict[str, Any]] = [
            {"id": check, "comment": reason} for check, reason in skips
        ]
        node.add_metadata("checkov", {"skip": entries})
