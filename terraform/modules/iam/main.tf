data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = var.trusted_principal_arns
    }
  }
}

resource "aws_iam_role" "this" {
  name                 = var.name
  description          = "Runs the Chinook Platform's Dagster jobs: landing and lake buckets, database secrets."
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  max_session_duration = var.max_session_duration
}

# Least privilege: list + object access on exactly the two buckets, GetSecretValue on exactly the
# database secrets (encrypted with the AWS managed key, so no KMS statement is needed).
data "aws_iam_policy_document" "this" {
  statement {
    sid       = "ListPlatformBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.landing_bucket_arn, var.lake_bucket_arn]
  }

  statement {
    sid       = "ReadAndLandCsvFiles"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:GetObjectTagging"]
    resources = ["${var.landing_bucket_arn}/*"]
  }

  statement {
    sid       = "ReadWriteLakeFiles"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${var.lake_bucket_arn}/*"]
  }

  statement {
    sid       = "ReadDatabaseSecrets"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = var.secret_arns
  }

  statement {
    sid       = "PublishRunFailures"
    actions   = ["sns:Publish"]
    resources = [var.alerts_topic_arn]
  }
}

resource "aws_iam_policy" "this" {
  name        = var.name
  description = "Least-privilege access of the Chinook Platform's Dagster runner."
  policy      = data.aws_iam_policy_document.this.json
}

resource "aws_iam_role_policy_attachment" "this" {
  role       = aws_iam_role.this.name
  policy_arn = aws_iam_policy.this.arn
}
