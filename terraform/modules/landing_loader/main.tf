data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

# The zip (make lambda-zip) is over Lambda's 50 MB direct-upload limit: it goes through the artifacts bucket.
resource "aws_s3_object" "artifact" {
  #checkov:skip=CKV_AWS_186:The bucket's default encryption (SSE-S3) applies; the zip holds public code only.
  bucket      = var.artifacts_bucket_name
  key         = "lambda/${var.function_name}/${filemd5(var.artifact_path)}.zip"
  source      = var.artifact_path
  source_hash = filemd5(var.artifact_path)
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Log group encryption uses the CloudWatch Logs service key; a CMK costs USD 1/month.
  #checkov:skip=CKV_AWS_338:Short retention on purpose: every load is also recorded in the OLTP load_log table.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

# --- Network: the function runs in the private subnets, next to the OLTP database -----------------------

resource "aws_security_group" "function" {
  name_prefix = "${var.function_name}-"
  description = "Landing loader ${var.function_name}: PostgreSQL, S3 and Secrets Manager, outbound only."
  vpc_id      = var.vpc_id

  tags = { Name = var.function_name }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id            = aws_security_group.function.id
  description                  = "PostgreSQL to the OLTP database"
  ip_protocol                  = "tcp"
  from_port                    = var.database.port
  to_port                      = var.database.port
  referenced_security_group_id = var.database_security_group_id
}

resource "aws_vpc_security_group_egress_rule" "s3" {
  security_group_id = aws_security_group.function.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id
}

resource "aws_vpc_security_group_egress_rule" "secrets_manager" {
  security_group_id            = aws_security_group.function.id
  description                  = "HTTPS to the Secrets Manager endpoint"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.endpoint.id
}

resource "aws_vpc_security_group_ingress_rule" "database_from_function" {
  security_group_id            = var.database_security_group_id
  description                  = "PostgreSQL from the landing loader"
  ip_protocol                  = "tcp"
  from_port                    = var.database.port
  to_port                      = var.database.port
  referenced_security_group_id = aws_security_group.function.id
}

# Private subnets have no internet route (no NAT by default): Secrets Manager is reached through an interface
# endpoint in one subnet (about USD 7.30/month), S3 through the free gateway endpoint.
resource "aws_security_group" "endpoint" {
  name_prefix = "${var.function_name}-secretsmanager-"
  description = "Secrets Manager endpoint of ${var.function_name}: HTTPS from the function only."
  vpc_id      = var.vpc_id

  tags = { Name = "${var.function_name}-secretsmanager" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "endpoint_from_function" {
  security_group_id            = aws_security_group.endpoint.id
  description                  = "HTTPS from the landing loader"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.function.id
}

resource "aws_vpc_endpoint" "secrets_manager" {
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${data.aws_region.current.name}.secretsmanager"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = [var.subnet_ids[0]]
  security_group_ids  = [aws_security_group.endpoint.id]
  private_dns_enabled = true

  tags = { Name = "${var.function_name}-secretsmanager" }
}

# --- Role ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "this" {
  name               = var.function_name
  description        = "Execution role of the ${var.function_name} Lambda function."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "this" {
  #checkov:skip=CKV_AWS_111:Lambda's VPC network-interface actions do not support resource-level permissions.
  #checkov:skip=CKV_AWS_356:Same: CreateNetworkInterface and the Describe* actions need Resource "*".
  statement {
    sid       = "ReadLandedObjects"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.landing_bucket_arn}/*"]
  }

  statement {
    sid       = "ReadOltpCredentials"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.database.secret_arn]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  statement {
    sid       = "SendFailedEventsToTheQueue"
    actions   = ["sqs:SendMessage"]
    resources = [var.dead_letter_queue_arn]
  }

  statement {
    sid = "RunInTheVpc"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "this" {
  name   = "landing-loader"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

# --- Function -----------------------------------------------------------------------------------------

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:X-Ray tracing would need extra write permissions; each load is logged and recorded in load_log.
  #checkov:skip=CKV_AWS_115:New accounts have an account concurrency of 10, below which reserved concurrency cannot be set; loads are serialized by an advisory lock instead.
  #checkov:skip=CKV_AWS_173:The environment holds no secret (the password is fetched from Secrets Manager); the AWS-managed key encrypts it.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the zip is built from this repository by make lambda-zip.
  function_name    = var.function_name
  description      = "Loads each CSV landed in the Chinook landing bucket into the OLTP database (validated, idempotent)."
  role             = aws_iam_role.this.arn
  runtime          = "python3.12"
  handler          = "chinook_platform.lambdas.landing_loader.handler"
  architectures    = ["arm64"]
  s3_bucket        = aws_s3_object.artifact.bucket
  s3_key           = aws_s3_object.artifact.key
  source_code_hash = filebase64sha256(var.artifact_path)
  memory_size      = var.memory_size
  timeout          = var.timeout

  # Events that still fail after S3's asynchronous retries (two) are kept in the queue, which alarms (modules/alerts).
  dead_letter_config {
    target_arn = var.dead_letter_queue_arn
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [aws_security_group.function.id]
  }

  environment {
    variables = {
      CHINOOK_OLTP_URL        = "postgresql+psycopg://${var.database.host}:${var.database.port}/${var.database.name}?sslmode=require"
      CHINOOK_OLTP_SCHEMA     = var.database.schema
      CHINOOK_OLTP_SECRET_ARN = var.database.secret_arn
    }
  }

  depends_on = [
    aws_cloudwatch_log_group.this,
    aws_iam_role_policy.this,
  ]
}

resource "aws_lambda_permission" "s3" {
  statement_id   = "AllowInvokeFromLandingBucket"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this.function_name
  principal      = "s3.amazonaws.com"
  source_arn     = var.landing_bucket_arn
  source_account = data.aws_caller_identity.current.account_id
}
