"""Data: the DynamoDB tables and the media bucket of ``chalicelib.resources``."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_s3 as s3
from constructs import Construct

from chalicelib import resources
from infra.naming import camel, lookup
from infra.parts import Part
from infra.stages import StageConfig


class Data(Part):
    """Tables (on demand, point-in-time recovery, encrypted) and private buckets."""

    def __init__(self, scope: Construct, construct_id: str, *, config: StageConfig) -> None:
        super().__init__(scope, construct_id)
        self.config = config
        self.removal = cdk.RemovalPolicy.RETAIN if config.retain_data else cdk.RemovalPolicy.DESTROY
        self.tables = {table.logical: self._table(table) for table in resources.TABLES}
        self.buckets = {bucket.logical: self._bucket(bucket) for bucket in resources.BUCKETS}

    def table(self, logical: str) -> dynamodb.Table:
        return lookup(self.tables, logical, "table")

    def bucket(self, logical: str) -> s3.Bucket:
        return lookup(self.buckets, logical, "bucket")

    def _table(self, spec: resources.Table) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            f"{camel(spec.logical)}Table",
            table_name=resources.physical(self.config.prefix, spec.logical),
            partition_key=dynamodb.Attribute(
                name=spec.hash_key, type=dynamodb.AttributeType.STRING
            ),
            sort_key=(
                dynamodb.Attribute(name=spec.range_key, type=dynamodb.AttributeType.STRING)
                if spec.range_key
                else None
            ),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            stream=dynamodb.StreamViewType(spec.stream) if spec.stream else None,
            time_to_live_attribute=spec.ttl_attribute,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            deletion_protection=self.config.retain_data,
            removal_policy=self.removal,
        )
        for index in spec.indexes:
            table.add_global_secondary_index(
                index_name=index.name,
                partition_key=dynamodb.Attribute(
                    name=index.hash_key, type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(
                    name=index.range_key, type=dynamodb.AttributeType.STRING
                ),
                projection_type=dynamodb.ProjectionType.ALL,
            )
        return table

    def _bucket(self, spec: resources.Bucket) -> s3.Bucket:
        rules = [
            s3.LifecycleRule(
                id=f"expire-{prefix.strip('/').replace('/', '-') or 'all'}",
                prefix=prefix,
                expiration=cdk.Duration.days(spec.expire_days),
                noncurrent_version_expiration=cdk.Duration.days(spec.expire_days),
            )
            for prefix in spec.expire_prefixes
        ]
        rules.append(
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
            )
        )
        # Versioning keeps an overwritten or deleted object recoverable for a month.
        rules.append(
            s3.LifecycleRule(
                id="expire-old-versions",
                noncurrent_version_expiration=cdk.Duration.days(30),
                expired_object_delete_marker=True,
            )
        )
        return s3.Bucket(
            self,
            f"{camel(spec.logical)}Bucket",
            # Bucket names are global: CloudFormation picks a unique one, and the
            # functions learn it from MEDIA_BUCKET (never from the prefix).
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=True,
            lifecycle_rules=rules,
            cors=[
                # Clients upload by presigned POST and read by presigned GET.
                s3.CorsRule(
                    allowed_methods=[s3.HttpMethods.GET, s3.HttpMethods.POST],
                    allowed_origins=["*"],
                    allowed_headers=["*"],
                    max_age=3000,
                )
            ],
            # User media outlives a stack deletion on every stage; empty it by hand.
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
