data "aws_caller_identity" "current" {}

# --- Network --------------------------------------------------------------------------------------------

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-quicksight-"
  description = "QuickSight VPC connection ${var.name}: talks to the warehouse only."
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-quicksight" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_egress_rule" "postgres" {
  security_group_id            = aws_security_group.this.id
  description                  = "The warehouse (${var.database.engine})"
  ip_protocol                  = "tcp"
  from_port                    = var.database.port
  to_port                      = var.database.port
  referenced_security_group_id = var.database_security_group_id
}

# QuickSight's network interfaces do not track connections, so return traffic from the database must be
# allowed explicitly (see "Configuring the VPC connection" in the QuickSight user guide).
resource "aws_vpc_security_group_ingress_rule" "database_return_traffic" {
  #checkov:skip=CKV_AWS_24:False positive: the source is the database security group, not a CIDR.
  #checkov:skip=CKV_AWS_25:False positive: the source is the database security group, not a CIDR.
  #checkov:skip=CKV_AWS_260:False positive: the source is the database security group, not a CIDR.
  security_group_id            = aws_security_group.this.id
  description                  = "Return traffic from the warehouse"
  ip_protocol                  = "tcp"
  from_port                    = 0
  to_port                      = 65535
  referenced_security_group_id = var.database_security_group_id
}

# The database side: its security group accepts QuickSight's connections. The rule lives here so that it
# exists exactly when QuickSight does, and before the data source (whose creation tests the connection).
resource "aws_vpc_security_group_ingress_rule" "database_from_quicksight" {
  security_group_id            = var.database_security_group_id
  description                  = "Warehouse connections from QuickSight"
  ip_protocol                  = "tcp"
  from_port                    = var.database.port
  to_port                      = var.database.port
  referenced_security_group_id = aws_security_group.this.id
}

# --- Role QuickSight uses to manage its network interfaces ----------------------------------------------

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["quicksight.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "vpc_connection" {
  name               = "${var.name}-quicksight-vpc-connection"
  description        = "Lets QuickSight create its network interfaces for the ${var.name} VPC connection."
  assume_role_policy = data.aws_iam_policy_document.assume_role.json
}

data "aws_iam_policy_document" "vpc_connection" {
  #checkov:skip=CKV_AWS_111:These EC2 network-interface actions do not support resource-level permissions before the interface exists.
  #checkov:skip=CKV_AWS_356:Same: the Describe* and CreateNetworkInterface actions need Resource "*".
  statement {
    sid = "ManageNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:ModifyNetworkInterfaceAttribute",
      "ec2:DeleteNetworkInterface",
      "ec2:DescribeSubnets",
      "ec2:DescribeSecurityGroups",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "vpc_connection" {
  name   = "quicksight-vpc-connection"
  role   = aws_iam_role.vpc_connection.id
  policy = data.aws_iam_policy_document.vpc_connection.json
}

# --- VPC connection and data source ---------------------------------------------------------------------

resource "aws_quicksight_vpc_connection" "this" {
  vpc_connection_id  = "${var.name}-vpc"
  name               = "${var.name} VPC"
  role_arn           = aws_iam_role.vpc_connection.arn
  security_group_ids = [aws_security_group.this.id]
  subnet_ids         = var.subnet_ids

  depends_on = [aws_iam_role_policy.vpc_connection]
}

resource "aws_quicksight_data_source" "olap" {
  aws_account_id = data.aws_caller_identity.current.account_id
  data_source_id = "${var.name}-olap"
  name           = "Chinook warehouse (${var.name} ${var.database.engine})"
  type           = upper(var.database.engine)

  parameters {
    dynamic "postgresql" {
      for_each = var.database.engine == "postgresql" ? [var.database] : []

      content {
        host     = postgresql.value.host
        port     = postgresql.value.port
        database = postgresql.value.name
      }
    }

    dynamic "redshift" {
      for_each = var.database.engine == "redshift" ? [var.database] : []

      content {
        host     = redshift.value.host
        port     = redshift.value.port
        database = redshift.value.name
      }
    }
  }

  # QuickSight reads the user name and password from the RDS-managed secret at connection time; grant
  # QuickSight access to that secret in its admin console ("Manage QuickSight" > "Security & permissions").
  credentials {
    secret_arn = var.database.secret_arn
  }

  ssl_properties {
    disable_ssl = false
  }

  vpc_connection_properties {
    vpc_connection_arn = aws_quicksight_vpc_connection.this.arn
  }

  dynamic "permission" {
    for_each = var.owner_arn == null ? [] : [var.owner_arn]

    content {
      principal = permission.value
      actions = [
        "quicksight:DeleteDataSource",
        "quicksight:DescribeDataSource",
        "quicksight:DescribeDataSourcePermissions",
        "quicksight:PassDataSource",
        "quicksight:UpdateDataSource",
        "quicksight:UpdateDataSourcePermissions",
      ]
    }
  }

  depends_on = [
    aws_vpc_security_group_ingress_rule.database_from_quicksight,
    aws_vpc_security_group_egress_rule.postgres,
  ]
}
