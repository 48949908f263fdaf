# --- IAM role Redshift assumes for COPY from the lake ------------------------------------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["redshift.amazonaws.com", "redshift-serverless.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "copy" {
  name               = "${var.name}-redshift-copy"
  description        = "Assumed by Redshift Serverless ${var.name} to COPY Parquet from the lake bucket."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "copy" {
  statement {
    sid       = "ListLake"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.lake_bucket_arn]
  }

  statement {
    sid       = "ReadLake"
    actions   = ["s3:GetObject"]
    resources = ["${var.lake_bucket_arn}/*"]
  }
}

resource "aws_iam_role_policy" "copy" {
  name   = "copy-from-lake"
  role   = aws_iam_role.copy.id
  policy = data.aws_iam_policy_document.copy.json
}

# --- Network --------------------------------------------------------------------------------------------

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-redshift-"
  description = "Redshift Serverless ${var.name}: 5439 only from the listed client security groups."
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-redshift" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "redshift" {
  for_each = var.allowed_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "Redshift from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 5439
  to_port                      = 5439
  referenced_security_group_id = each.value
}

# With enhanced VPC routing, COPY reaches S3 through the VPC's gateway endpoint.
resource "aws_vpc_security_group_egress_rule" "s3" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS to S3 through the gateway endpoint"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  prefix_list_id    = var.s3_prefix_list_id
}

# --- Namespace and workgroup ----------------------------------------------------------------------------

resource "aws_redshiftserverless_namespace" "this" {
  #checkov:skip=CKV_AWS_282:Data is encrypted with the AWS owned key; a CMK costs USD 1/month plus requests.
  namespace_name = var.name
  db_name        = var.database_name
  admin_username = var.admin_username

  # AWS generates the admin password and keeps it in Secrets Manager: never in variables or state.
  manage_admin_password = true

  iam_roles            = [aws_iam_role.copy.arn]
  default_iam_role_arn = aws_iam_role.copy.arn
  log_exports          = ["connectionlog", "userlog"]
}

resource "aws_redshiftserverless_workgroup" "this" {
  namespace_name       = aws_redshiftserverless_namespace.this.namespace_name
  workgroup_name       = var.name
  base_capacity        = var.base_capacity
  publicly_accessible  = false
  enhanced_vpc_routing = true
  subnet_ids           = var.subnet_ids
  security_group_ids   = [aws_security_group.this.id]
}

# Cost guard: deactivate the workgroup for the rest of the day once the cap is reached.
resource "aws_redshiftserverless_usage_limit" "compute" {
  count = var.daily_rpu_hours_limit == null ? 0 : 1

  resource_arn  = aws_redshiftserverless_workgroup.this.arn
  usage_type    = "serverless-compute"
  amount        = var.daily_rpu_hours_limit
  period        = "daily"
  breach_action = "deactivate"
}
