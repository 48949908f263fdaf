locals {
  databases = {
    oltp = { db_name = var.oltp_db_name, role = "OLTP" }
    olap = { db_name = var.olap_db_name, role = "OLAP" }
  }

  engine_major_version = split(".", var.engine_version)[0]
}

resource "aws_db_subnet_group" "this" {
  name        = var.name
  description = "Private subnets of the ${var.name} PostgreSQL instances."
  subnet_ids  = var.subnet_ids

  tags = { Name = var.name }
}

resource "aws_security_group" "this" {
  name_prefix = "${var.name}-postgres-"
  description = "PostgreSQL of ${var.name}: 5432 only from the listed client security groups."
  vpc_id      = var.vpc_id

  tags = { Name = "${var.name}-postgres" }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "postgres" {
  for_each = var.allowed_security_group_ids

  security_group_id            = aws_security_group.this.id
  description                  = "PostgreSQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = each.value
}

resource "aws_db_parameter_group" "this" {
  name_prefix = "${var.name}-postgres${local.engine_major_version}-"
  description = "PostgreSQL ${local.engine_major_version} settings of ${var.name}: TLS required, slow queries logged."
  family      = "postgres${local.engine_major_version}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_db_instance" "this" {
  #checkov:skip=CKV_AWS_157:Multi-AZ doubles the instance cost and leaves the free tier; a dev warehouse can be restored from backups.
  #checkov:skip=CKV_AWS_118:Enhanced monitoring is billed through CloudWatch Logs; basic RDS metrics are free.
  #checkov:skip=CKV_AWS_353:Performance Insights is being retired in favour of CloudWatch Database Insights and is not needed on micro instances.
  #checkov:skip=CKV2_AWS_30:Query logging to CloudWatch is billed per GB; slow statements (>1 s) are logged by the parameter group.
  for_each = local.databases

  identifier     = "${var.name}-${each.key}"
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage = var.allocated_storage
  storage_type      = "gp3"
  storage_encrypted = true

  db_name  = each.value.db_name
  username = var.master_username
  port     = 5432

  # RDS generates the master password and keeps it in Secrets Manager: it never appears in variables,
  # plans or state.
  manage_master_user_password = true

  db_subnet_group_name                = aws_db_subnet_group.this.name
  vpc_security_group_ids              = [aws_security_group.this.id]
  parameter_group_name                = aws_db_parameter_group.this.name
  publicly_accessible                 = false
  multi_az                            = false
  iam_database_authentication_enabled = true

  backup_retention_period   = var.backup_retention_period
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.name}-${each.key}-final"

  auto_minor_version_upgrade      = true
  apply_immediately               = var.apply_immediately
  enabled_cloudwatch_logs_exports = var.cloudwatch_logs_exports

  tags = {
    Name = "${var.name}-${each.key}"
    Role = each.value.role
  }
}
