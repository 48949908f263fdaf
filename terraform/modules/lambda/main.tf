data "aws_caller_identity" "current" {}

# Created here (not on first invocation) so its retention is managed and the role needs no
# logs:CreateLogGroup.
resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Log group encryption uses the CloudWatch Logs service key; a CMK costs USD 1/month.
  #checkov:skip=CKV_AWS_338:Short retention on purpose: the log holds one line per landed file and is not an audit trail.
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

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

# Least privilege: HeadObject (authorised by s3:GetObject) and PutObjectTagging on the landing bucket's
# objects, and writing to the function's own log group. Nothing else.
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "TagLandedObjects"
    actions   = ["s3:GetObject", "s3:PutObjectTagging"]
    resources = ["${var.landing_bucket_arn}/*"]
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
}

resource "aws_iam_role_policy" "this" {
  name   = "landing-notifier"
  role   = aws_iam_role.this.id
  policy = data.aws_iam_policy_document.this.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_50:X-Ray tracing would need extra write permissions; one structured log line per object is enough.
  #checkov:skip=CKV_AWS_115:New accounts have an account concurrency of 10, below which reserved concurrency cannot be set.
  #checkov:skip=CKV_AWS_117:The function only calls S3 and CloudWatch Logs; running it in the VPC would add ENI permissions to its role.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the zip is built from reviewed source by this configuration.
  function_name    = var.function_name
  description      = "Tags each object created in the Chinook landing bucket with the table it holds."
  role             = aws_iam_role.this.arn
  runtime          = "python3.12"
  handler          = "handler.handler"
  architectures    = ["arm64"]
  filename         = var.artifact_path
  source_code_hash = filebase64sha256(var.artifact_path)
  memory_size      = var.memory_size
  timeout          = var.timeout

  # Events that still fail after S3's asynchronous retries (two) are kept in the queue, which alarms (modules/alerts).
  dead_letter_config {
    target_arn = var.dead_letter_queue_arn
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
